/*
 * crl-shard: which CRL shard a certificate belongs to, and where a
 * shard's CRL is published; internal to libpki (enroll.c puts the URL
 * into certificates, crlgen.c signs the shard CRLs, serve-dist.c serves
 * them, hierarchy-load.c checks crl_shards).
 *
 * A CA with crl_shards = N (2..PKI__CRL_SHARDS_MAX) splits the
 * certificates it issues to end entities into shards 1..N by serial
 * number: shard = (serial mod N) + 1, the serial read as an unsigned
 * big-endian integer.  Shard k's CRL is published at each crl_urls
 * entry with "-k" inserted before its final ".crl" (".../issuing.crl"
 * -> ".../issuing-3.crl").  N is part of the CA's definition and never
 * changes, so a certificate's shard is a function of its serial.
 */
#ifndef PKI_CRL_SHARD_H
#define PKI_CRL_SHARD_H

#include <stddef.h>

#define PKI__CRL_SHARDS_MIN 2
#define PKI__CRL_SHARDS_MAX 256

/* The shard (1..nshards) of a serial number; 0 when nshards is 0. */
unsigned pki__crl_shard_of(const unsigned char *serial, size_t len,
			   unsigned nshards);

/* Whether url can name shards: an http:// or https:// URL whose path
 * ends in ".crl" (no query or fragment). */
int pki__crl_shard_url_ok(const char *url);

/* The URL of shard's CRL derived from the CA's crl_urls entry url (see
 * above); url itself when shard is 0.  NULL when out of memory or url
 * cannot name shards.  Caller frees. */
char *pki__crl_shard_url(const char *url, unsigned shard);

/* crl_shards of a CA's stored configuration (config_json); 0 when it
 * names none or is not valid. */
unsigned pki__crl_shards(const char *config_json);

#endif
