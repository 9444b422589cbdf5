/* crl-shard: a certificate's CRL shard and the shard CRLs' URLs (see
 * crl-shard.h). */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "crl-shard.h"

unsigned
pki__crl_shard_of(const unsigned char *serial, size_t len, unsigned nshards)
{
	unsigned long rem = 0;
	size_t i;

	if (nshards == 0)
		return 0;
	for (i = 0; i < len; i++)
		rem = (rem * 256 + serial[i]) % nshards;
	return (unsigned)rem + 1;
}

int
pki__crl_shard_url_ok(const char *url)
{
	size_t n = strlen(url);

	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return 0;
	if (strpbrk(url, "?#") != NULL)
		return 0;
	/* ".crl" after at least one character of the last path segment */
	return n > 4 && strcmp(url + n - 4, ".crl") == 0 &&
	       url[n - 5] != '/' && strchr(url + (url[4] == 's' ? 8 : 7), '/')
	       != NULL;
}

char *
pki__crl_shard_url(const char *url, unsigned shard)
{
	char *out = NULL;
	size_t n = strlen(url);

	if (shard == 0)
		return strdup(url);
	if (!pki__crl_shard_url_ok(url))
		return NULL;
	if (asprintf(&out, "%.*s-%u.crl", (int)(n - 4), url, shard) < 0)
		return NULL;
	return out;
}

unsigned
pki__crl_shards(const char *config_json)
{
	json_t *o = config_json ? json_loads(config_json, 0, NULL) : NULL;
	json_t *v = o ? json_object_get(o, "crl_shards") : NULL;
	json_int_t n = json_is_integer(v) ? json_integer_value(v) : 0;

	json_decref(o);
	return n >= PKI__CRL_SHARDS_MIN && n <= PKI__CRL_SHARDS_MAX ?
		(unsigned)n : 0;
}
