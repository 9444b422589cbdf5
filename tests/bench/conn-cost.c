/*
 * conn-cost: the whole cost of a process per connection, measured from
 * the client side without a client process in the way.
 *
 *   conn-cost RUNS REQUEST-FILE PROGRAM [ARGS...]
 *
 * RUNS times: a socketpair, fork, the child execs PROGRAM with the
 * connection on standard input and output (inetd style), the parent
 * writes the request bytes, reads the response until end of file and
 * waits for the child.  Prints the median, minimum and 90th percentile
 * in microseconds and the first response's status line.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>

static long long
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int
cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	char req[65536], resp[65536], first[128] = "";
	long long *t, t0;
	size_t reqlen, got;
	ssize_t k;
	int runs, i, sv[2], status;
	FILE *f;
	pid_t pid;

	if (argc < 4 || (runs = atoi(argv[1])) <= 0 ||
	    (f = fopen(argv[2], "rb")) == NULL) {
		fprintf(stderr, "usage: conn-cost RUNS REQUEST-FILE PROGRAM "
			"[ARGS...]\n");
		return 2;
	}
	reqlen = fread(req, 1, sizeof(req), f);
	fclose(f);
	if ((t = calloc((size_t)runs, sizeof(*t))) == NULL)
		return 1;
	for (i = 0; i < runs; i++) {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
			return 1;
		t0 = now_us();
		if ((pid = fork()) < 0)
			return 1;
		if (pid == 0) {
			dup2(sv[1], 0);
			dup2(sv[1], 1);
			close(sv[0]);
			close(sv[1]);
			execv(argv[3], argv + 3);
			_exit(127);
		}
		close(sv[1]);
		/* /bin/true closes at once: a short write is fine */
		(void)!write(sv[0], req, reqlen);
		got = 0;
		while ((k = read(sv[0], resp + got, sizeof(resp) - 1 - got)) >
		       0 && got < sizeof(resp) - 1)
			got += (size_t)k;
		close(sv[0]);
		waitpid(pid, &status, 0);
		t[i] = now_us() - t0;
		if (i == 0) {
			resp[got] = '\0';
			resp[strcspn(resp, "\r\n")] = '\0';
			snprintf(first, sizeof(first), "%.100s", resp);
		}
	}
	qsort(t, (size_t)runs, sizeof(*t), cmp);
	printf("%lld %lld %lld %s\n", t[runs / 2], t[0], t[runs * 9 / 10],
	       first[0] ? first : "-");
	free(t);
	return 0;
}
