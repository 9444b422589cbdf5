/* tls-int: what the rest of libpki needs from tls.c; internal. */
#ifndef PKI_TLS_INT_H
#define PKI_TLS_INT_H

#include <stddef.h>
#include <spork/state.h>

/* The key id (hex, size >= 65) of the sealed key <state>/tls/server.pem
 * names, so that a build does not prune it.  PKI_E_NOTFOUND when there
 * is no such file. */
int pki__tls_key_id(struct pki_state *s, char *id, size_t size);

#endif
