/*
 * forwarded: the client's address behind trusted reverse proxies, from
 * the Forwarded (RFC 7239) or X-Forwarded-For request header.
 *
 * A handler behind a proxy sees the proxy as its TCP peer.  Only when
 * that peer is one of the operator's trusted proxies (spork.toml
 * [http] trusted_proxies) are the headers believed, and then only as
 * far as the chain of trusted proxies reaches: walking the list of
 * addresses from the right (the hop nearest to us), each trusted proxy
 * vouches for the address before it, and the first address that is not
 * a trusted proxy is the client.  When every address is a trusted proxy,
 * the left-most is the client.  An entry that names no address ("unknown",
 * an obfuscated identifier, an element without for=) ends the walk at
 * the last address vouched for.
 *
 * Forwarded is used when the request has one (every Forwarded field, in
 * order, is one list); else X-Forwarded-For (a list of bare IPv4 or IPv6
 * addresses).  Parsing is strict and bounded: a value that does not fit
 * the grammar, or a list of more than PKI_FORWARDED_MAX_HOPS entries,
 * is ignored as a whole and the peer's address is used; it is never an
 * error for the client.  Nothing here allocates, logs or touches a
 * socket: the caller passes the peer's address, the request's header
 * fields and the trusted list.  IPv4-mapped IPv6 addresses (::ffff:a.b.c.d)
 * are treated as the IPv4 addresses they map, both for the peer and in
 * the headers.
 */
#ifndef PKI_FORWARDED_H
#define PKI_FORWARDED_H

#include <stddef.h>
#include "http.h"
#include "name.h"

/* Entries of a Forwarded or X-Forwarded-For list looked at, at most. */
#define PKI_FORWARDED_MAX_HOPS 32

/* Where the client's address came from. */
enum pki_forwarded_source {
	PKI_FORWARDED_PEER,       /* the TCP peer itself */
	PKI_FORWARDED_HEADER,     /* Forwarded: for= */
	PKI_FORWARDED_XFF,        /* X-Forwarded-For */
	PKI_FORWARDED__MAX
};

/*
 * The client's address into *client, and where it came from.  peer is
 * the TCP peer's address (NULL when the connection has none, as on a
 * Unix socket: then no header is believed and *client is zeroed, len 0);
 * headers the request's n header fields (names in lower case, as
 * pki_http_parse gives them); trusted the ntrusted ranges of trusted
 * proxies (from pki_name_cidr_parse).  The headers are looked at only
 * when peer lies in one of the ranges.
 */
enum pki_forwarded_source pki_forwarded_client(
	const struct pki_name_ip *peer, const struct pki_http_header *headers,
	size_t n, const struct pki_name_cidr *trusted, size_t ntrusted,
	struct pki_name_ip *client);

/* "peer", "forwarded", "x-forwarded-for"; NULL for an unknown value. */
const char *pki_forwarded_source_name(enum pki_forwarded_source s);

#endif
