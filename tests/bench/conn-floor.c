/*
 * conn-floor: the floor of a process per connection, for
 * tests/bench/handler.sh.  A program that links GnuTLS (as every spork
 * handler does), calls gnutls_check_version, reads one request head (and
 * the body its Content-Length announces) from standard input and writes a
 * fixed small response: what any handler must at least pay.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

int
main(void)
{
	static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
		"Connection: close\r\n\r\nok";
	char buf[16384];
	size_t len = 0, want = 0;
	ssize_t k;
	char *end, *cl;

	if (gnutls_check_version("3.0.0") == NULL)
		return 1;
	while (len < sizeof(buf) - 1) {
		if ((k = read(0, buf + len, sizeof(buf) - 1 - len)) <= 0)
			break;
		len += (size_t)k;
		buf[len] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) == NULL)
			continue;
		if (want == 0 && (cl = strstr(buf, "Content-Length: ")) != NULL)
			want = (size_t)strtoul(cl + 16, NULL, 10);
		if (len >= (size_t)(end + 4 - buf) + want)
			break;
	}
	return write(1, resp, sizeof(resp) - 1) == sizeof(resp) - 1 ? 0 : 1;
}
