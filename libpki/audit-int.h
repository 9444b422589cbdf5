/*
 * audit-int: the audit chain's hash, shared by audit.c (which verifies
 * it) and store-audit.c (which writes it); internal to libpki.
 */
#ifndef PKI_AUDIT_INT_H
#define PKI_AUDIT_INT_H

#include <spork/audit.h>

/*
 * Internal: the row hash, as 64 lower-case hex digits into out.
 * SHA-256 over "spork-audit-v1" (its NUL included), then each of
 * prev_hash, id, ts, actor, action, object, detail as: 8-byte big-endian
 * length, bytes (integers
 * are written as 8-byte big-endian two's complement with length 8;
 * a NULL detail is length 0xffffffffffffffff and no bytes, so it differs
 * from "").  NULL actor/action/object/prev_hash count as "".
 * A row with a uid (uid >= 0; rows written since schema version 2) is
 * hashed as "spork-audit-v2" with the uid, as an integer, after actor;
 * uid < 0 (a row from before, NULL in the table) gives the v1 hash.
 */
void pki__audit_hash(const char *prev_hash, int64_t id, int64_t ts,
		     const char *actor, int64_t uid, const char *action,
		     const char *object, const char *detail, char out[65]);

#endif
