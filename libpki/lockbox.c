/* lockbox: sealing private key bytes into a versioned file; see lockbox.h */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <argon2.h>
#include <nettle/gcm.h>
#include <nettle/memops.h>

#include <spork/state.h>
#include "lockbox.h"
#include "util.h"

#define LB_MAGIC "SPORKLB1"
#define LB_MAGIC_LEN 8
#define LB_SALT_LEN 16
#define LB_NONCE_LEN 12
#define LB_TAG_LEN 16
#define LB_MAX_ID 128
#define LB_MAX_ALG 31
/* magic, kind, t, m, lanes, salt, nonce */
#define LB_FIXED_LEN (LB_MAGIC_LEN + 1 + 4 + 4 + 4 + LB_SALT_LEN + LB_NONCE_LEN)

/* A parsed header; hdr_len is where the ciphertext starts. */
struct lb_header {
	enum pki_lockbox_kind kind;
	struct pki_argon2_params argon2;
	unsigned char salt[LB_SALT_LEN];
	unsigned char nonce[LB_NONCE_LEN];
	char id[LB_MAX_ID + 1];
	char alg[LB_MAX_ALG + 1];
	size_t hdr_len;
	size_t ct_len;
};

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static int
name_ok(const char *s, size_t len, size_t max)
{
	size_t i;

	if (len == 0 || len > max)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return 0;
	}
	return 1;
}

static int
argon2_params_ok(const struct pki_argon2_params *p)
{
	return p->m_cost_kib >= PKI_ARGON2_MIN_KIB &&
	       p->m_cost_kib <= PKI_ARGON2_MAX_KIB &&
	       p->t_cost >= PKI_ARGON2_MIN_PASSES &&
	       p->t_cost <= PKI_ARGON2_MAX_PASSES &&
	       p->lanes >= 1 && p->lanes <= PKI_ARGON2_MAX_LANES;
}

static int
is_zero(const unsigned char *p, size_t n)
{
	unsigned char acc = 0;
	size_t i;

	for (i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* Strictly parse a file image's header; nothing is trusted yet. */
static int
parse_header(const unsigned char *buf, size_t len, struct lb_header *h,
	     struct pki_error *err)
{
	size_t off, id_len, alg_len;

	memset(h, 0, sizeof(*h));
	if (len > PKI_LOCKBOX_MAX_FILE)
		return pki_error_set(err, PKI_E_PARSE, "sealed key file is "
				     "larger than %u bytes; not a lockbox file",
				     PKI_LOCKBOX_MAX_FILE);
	if (len < LB_MAGIC_LEN || memcmp(buf, LB_MAGIC, LB_MAGIC_LEN) != 0) {
		if (len >= LB_MAGIC_LEN && memcmp(buf, LB_MAGIC, 7) == 0)
			return pki_error_set(err, PKI_E_PARSE, "sealed key file "
					     "has format version '%c'; this "
					     "spork reads version 1",
					     buf[7] >= 0x20 && buf[7] < 0x7f ?
					     buf[7] : '?');
		return pki_error_set(err, PKI_E_PARSE, "not a spork lockbox "
				     "file (bad magic)");
	}
	if (len < LB_FIXED_LEN + 2)
		goto truncated;
	off = LB_MAGIC_LEN;
	switch (buf[off]) {
	case PKI_LOCKBOX_PASSPHRASE:
		h->kind = PKI_LOCKBOX_PASSPHRASE;
		break;
	case PKI_LOCKBOX_KEKFILE:
		h->kind = PKI_LOCKBOX_KEKFILE;
		break;
	default:
		return pki_error_set(err, PKI_E_PARSE, "sealed key file has "
				     "unknown kind %u", buf[off]);
	}
	off++;
	h->argon2.t_cost = get32(buf + off);
	h->argon2.m_cost_kib = get32(buf + off + 4);
	h->argon2.lanes = get32(buf + off + 8);
	off += 12;
	memcpy(h->salt, buf + off, LB_SALT_LEN);
	off += LB_SALT_LEN;
	memcpy(h->nonce, buf + off, LB_NONCE_LEN);
	off += LB_NONCE_LEN;
	if (h->kind == PKI_LOCKBOX_PASSPHRASE) {
		if (!argon2_params_ok(&h->argon2))
			return pki_error_set(err, PKI_E_PARSE,
				"sealed key file asks for Argon2id memory "
				"%" PRIu32 " KiB, %" PRIu32 " passes, %" PRIu32
				" lanes; refusing anything outside %u KiB..%u "
				"KiB, %u..%u passes, 1..%u lanes (the header "
				"was probably tampered with)",
				h->argon2.m_cost_kib, h->argon2.t_cost,
				h->argon2.lanes, PKI_ARGON2_MIN_KIB,
				PKI_ARGON2_MAX_KIB,
				PKI_ARGON2_MIN_PASSES,
				PKI_ARGON2_MAX_PASSES,
				PKI_ARGON2_MAX_LANES);
	} else if (h->argon2.t_cost != 0 || h->argon2.m_cost_kib != 0 ||
		   h->argon2.lanes != 0 || !is_zero(h->salt, LB_SALT_LEN)) {
		return pki_error_set(err, PKI_E_PARSE, "sealed key file of "
				     "the key-file kind has non-zero Argon2 "
				     "fields (the header was tampered with)");
	}
	id_len = (size_t)buf[off] << 8 | buf[off + 1];
	off += 2;
	if (id_len > len - off)
		goto truncated;
	if (!name_ok((const char *)buf + off, id_len, LB_MAX_ID))
		return pki_error_set(err, PKI_E_PARSE, "sealed key file has "
				     "a malformed key id");
	memcpy(h->id, buf + off, id_len);
	off += id_len;
	if (len - off < 2)
		goto truncated;
	alg_len = (size_t)buf[off] << 8 | buf[off + 1];
	off += 2;
	if (alg_len > len - off)
		goto truncated;
	if (!name_ok((const char *)buf + off, alg_len, LB_MAX_ALG))
		return pki_error_set(err, PKI_E_PARSE, "sealed key file has "
				     "a malformed algorithm name");
	memcpy(h->alg, buf + off, alg_len);
	off += alg_len;
	if (len - off < LB_TAG_LEN + 1)
		goto truncated;
	h->hdr_len = off;
	h->ct_len = len - off - LB_TAG_LEN;
	if (h->ct_len > PKI_LOCKBOX_MAX_PLAIN)
		return pki_error_set(err, PKI_E_PARSE, "sealed key file holds "
				     "more than %u bytes", PKI_LOCKBOX_MAX_PLAIN);
	return PKI_OK;
truncated:
	return pki_error_set(err, PKI_E_PARSE, "sealed key file is truncated "
			     "(%zu bytes)", len);
}

/* Derive the 32-byte KEK from a passphrase. */
static int
derive_kek(const char *pass, size_t passlen,
	   const struct pki_argon2_params *p, const unsigned char *salt,
	   unsigned char *kek, struct pki_error *err)
{
	int ret;

	ret = argon2id_hash_raw(p->t_cost, p->m_cost_kib, p->lanes, pass,
				passlen, salt, LB_SALT_LEN, kek,
				PKI_LOCKBOX_KEK_SIZE);
	if (ret != ARGON2_OK) {
		pki_memzero(kek, PKI_LOCKBOX_KEK_SIZE);
		return pki_error_set(err, ret == ARGON2_MEMORY_ALLOCATION_ERROR ?
				     PKI_E_NOMEM : PKI_E_CRYPTO,
				     "argon2id_hash_raw (%" PRIu32 " KiB, %"
				     PRIu32 " passes): %s", p->m_cost_kib,
				     p->t_cost, argon2_error_message(ret));
	}
	return PKI_OK;
}

int
pki_lockbox_seal_mem(const char *key_id, const char *alg,
		     const gnutls_datum_t *plain, const char *pass,
		     size_t passlen, const struct pki_argon2_params *params,
		     const unsigned char *kek, gnutls_datum_t *out,
		     struct pki_error *err)
{
	static const struct pki_argon2_params defaults = {
		PKI_ARGON2_DEFAULT_PASSES, PKI_ARGON2_DEFAULT_KIB,
		PKI_ARGON2_DEFAULT_LANES
	};
	struct gcm_aes256_ctx gcm;
	unsigned char key[PKI_LOCKBOX_KEK_SIZE];
	unsigned char *buf = NULL;
	size_t id_len, alg_len, hdr_len, total, off;
	int rc = PKI_E_FAIL;

	out->data = NULL;
	out->size = 0;
	memset(&gcm, 0, sizeof(gcm));
	if ((pass == NULL) == (kek == NULL)) {
		rc = pki_error_set(err, PKI_E_INVALID, "pki_lockbox_seal: give "
				   "exactly one of a passphrase or a KEK");
		goto out;
	}
	if (params == NULL)
		params = &defaults;
	if (pass != NULL && !argon2_params_ok(params)) {
		rc = pki_error_set(err, PKI_E_INVALID, "Argon2id parameters "
				   "%" PRIu32 " KiB, %" PRIu32 " passes, %" PRIu32
				   " lanes are out of range (%u..%u KiB, %u..%u "
				   "passes, 1..%u lanes)", params->m_cost_kib,
				   params->t_cost, params->lanes,
				   PKI_ARGON2_MIN_KIB,
				   PKI_ARGON2_MAX_KIB,
				   PKI_ARGON2_MIN_PASSES,
				   PKI_ARGON2_MAX_PASSES,
				   PKI_ARGON2_MAX_LANES);
		goto out;
	}
	id_len = key_id != NULL ? strlen(key_id) : 0;
	alg_len = alg != NULL ? strlen(alg) : 0;
	if (!name_ok(key_id, id_len, LB_MAX_ID) ||
	    !name_ok(alg, alg_len, LB_MAX_ALG)) {
		rc = pki_error_set(err, PKI_E_INVALID, "cannot seal: key id "
				   "and algorithm must be 1..%d / 1..%d "
				   "characters of [A-Za-z0-9._-]",
				   LB_MAX_ID, LB_MAX_ALG);
		goto out;
	}
	if (plain == NULL || plain->size == 0 ||
	    plain->size > PKI_LOCKBOX_MAX_PLAIN) {
		rc = pki_error_set(err, PKI_E_INVALID, "cannot seal: secret "
				   "must be 1..%u bytes", PKI_LOCKBOX_MAX_PLAIN);
		goto out;
	}
	hdr_len = LB_FIXED_LEN + 2 + id_len + 2 + alg_len;
	total = hdr_len + plain->size + LB_TAG_LEN;
	if ((buf = gnutls_calloc(1, total)) == NULL) {
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory sealing "
				   "key %s", key_id);
		goto out;
	}
	memcpy(buf, LB_MAGIC, LB_MAGIC_LEN);
	off = LB_MAGIC_LEN;
	buf[off++] = pass != NULL ? PKI_LOCKBOX_PASSPHRASE : PKI_LOCKBOX_KEKFILE;
	if (pass != NULL) {
		put32(buf + off, params->t_cost);
		put32(buf + off + 4, params->m_cost_kib);
		put32(buf + off + 8, params->lanes);
	}
	off += 12;
	if (pass != NULL &&
	    (rc = pki__random(buf + off, LB_SALT_LEN, err)) != PKI_OK)
		goto out;
	off += LB_SALT_LEN;
	if ((rc = pki__random(buf + off, LB_NONCE_LEN, err)) != PKI_OK)
		goto out;
	off += LB_NONCE_LEN;
	buf[off++] = (unsigned char)(id_len >> 8);
	buf[off++] = (unsigned char)id_len;
	memcpy(buf + off, key_id, id_len);
	off += id_len;
	buf[off++] = (unsigned char)(alg_len >> 8);
	buf[off++] = (unsigned char)alg_len;
	memcpy(buf + off, alg, alg_len);
	off += alg_len;

	if (pass != NULL) {
		rc = derive_kek(pass, passlen, params,
				buf + LB_MAGIC_LEN + 1 + 12, key, err);
		if (rc != PKI_OK)
			goto out;
	} else {
		memcpy(key, kek, sizeof(key));
	}
	gcm_aes256_set_key(&gcm, key);
	gcm_aes256_set_iv(&gcm, LB_NONCE_LEN, buf + LB_FIXED_LEN - LB_NONCE_LEN);
	gcm_aes256_update(&gcm, hdr_len, buf);
	gcm_aes256_encrypt(&gcm, plain->size, buf + hdr_len, plain->data);
	gcm_aes256_digest(&gcm, LB_TAG_LEN, buf + hdr_len + plain->size);

	out->data = buf;
	out->size = (unsigned)total;
	buf = NULL;
	rc = PKI_OK;
out:
	pki_memzero(key, sizeof(key));
	pki_memzero(&gcm, sizeof(gcm));
	gnutls_free(buf);
	return rc;
}

int
pki_lockbox_seal(const char *path, const char *key_id, const char *alg,
		 const gnutls_datum_t *plain, const char *pass, size_t passlen,
		 const struct pki_argon2_params *params,
		 const unsigned char *kek, struct pki_error *err)
{
	gnutls_datum_t img = { NULL, 0 };
	int rc;

	rc = pki_lockbox_seal_mem(key_id, alg, plain, pass, passlen, params,
				  kek, &img, err);
	if (rc != PKI_OK)
		goto out;
	rc = pki_file_write(path, img.data, img.size, 0400, 1, err);
out:
	gnutls_free(img.data);
	return rc;
}

int
pki_lockbox_info_mem(const unsigned char *buf, size_t len,
		     struct pki_lockbox_info *info, struct pki_error *err)
{
	struct lb_header h;
	int rc;

	memset(info, 0, sizeof(*info));
	if ((rc = parse_header(buf, len, &h, err)) != PKI_OK)
		return rc;
	info->kind = h.kind;
	memcpy(info->key_id, h.id, sizeof(info->key_id));
	memcpy(info->alg, h.alg, sizeof(info->alg));
	info->argon2 = h.argon2;
	return PKI_OK;
}

int
pki_lockbox_info(const char *path, struct pki_lockbox_info *info,
		 struct pki_error *err)
{
	gnutls_datum_t img = { NULL, 0 };
	int rc;

	memset(info, 0, sizeof(*info));
	rc = pki_file_read(path, PKI_LOCKBOX_MAX_FILE, &img, err);
	if (rc != PKI_OK)
		goto out;
	rc = pki_lockbox_info_mem(img.data, img.size, info, err);
	if (rc != PKI_OK)
		pki_error_prefix(err, "%s", path);
out:
	gnutls_free(img.data);
	return rc;
}

int
pki_lockbox_open_mem(const unsigned char *buf, size_t len,
		     const char *expected_id, const char *expected_alg,
		     const char *pass, size_t passlen, const unsigned char *kek,
		     gnutls_datum_t *plain, struct pki_error *err)
{
	struct gcm_aes256_ctx gcm;
	struct lb_header h;
	unsigned char key[PKI_LOCKBOX_KEK_SIZE];
	unsigned char tag[LB_TAG_LEN];
	unsigned char *pt = NULL;
	int rc;

	plain->data = NULL;
	plain->size = 0;
	memset(&gcm, 0, sizeof(gcm));
	memset(key, 0, sizeof(key));
	if ((rc = parse_header(buf, len, &h, err)) != PKI_OK)
		goto out;
	if (expected_id != NULL && strcmp(expected_id, h.id) != 0) {
		rc = pki_error_set(err, PKI_E_AUTH, "sealed key file is bound "
				   "to key id %s, not %s: it was swapped or "
				   "renamed", h.id, expected_id);
		goto out;
	}
	if (expected_alg != NULL && strcmp(expected_alg, h.alg) != 0) {
		rc = pki_error_set(err, PKI_E_AUTH, "sealed key file is bound "
				   "to algorithm %s, not %s: it was swapped or "
				   "tampered with", h.alg, expected_alg);
		goto out;
	}
	if (h.kind == PKI_LOCKBOX_PASSPHRASE) {
		if (pass == NULL) {
			rc = pki_error_set(err, PKI_E_INVALID, "key %s is "
					   "sealed under a passphrase, and no "
					   "passphrase was given", h.id);
			goto out;
		}
		rc = derive_kek(pass, passlen, &h.argon2, h.salt, key, err);
		if (rc != PKI_OK)
			goto out;
	} else {
		if (kek == NULL) {
			rc = pki_error_set(err, PKI_E_INVALID, "key %s is "
					   "sealed under the online key file, "
					   "and none was given", h.id);
			goto out;
		}
		memcpy(key, kek, sizeof(key));
	}
	if ((pt = gnutls_malloc(h.ct_len)) == NULL) {
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory opening "
				   "key %s", h.id);
		goto out;
	}
	gcm_aes256_set_key(&gcm, key);
	gcm_aes256_set_iv(&gcm, LB_NONCE_LEN, h.nonce);
	gcm_aes256_update(&gcm, h.hdr_len, buf);
	gcm_aes256_decrypt(&gcm, h.ct_len, pt, buf + h.hdr_len);
	gcm_aes256_digest(&gcm, LB_TAG_LEN, tag);
	if (!memeql_sec(tag, buf + h.hdr_len + h.ct_len, LB_TAG_LEN)) {
		rc = pki_error_set(err, PKI_E_AUTH, "cannot unseal key %s: %s",
				   h.id, h.kind == PKI_LOCKBOX_PASSPHRASE ?
				   "wrong passphrase, or the sealed file was "
				   "tampered with" :
				   "the online key file (online.kek) does not "
				   "match, or the sealed file was tampered with");
		goto out;
	}
	plain->data = pt;
	plain->size = (unsigned)h.ct_len;
	pt = NULL;
	rc = PKI_OK;
out:
	if (pt != NULL) {
		pki_memzero(pt, h.ct_len);
		gnutls_free(pt);
	}
	pki_memzero(key, sizeof(key));
	pki_memzero(&gcm, sizeof(gcm));
	return rc;
}

int
pki_lockbox_open(const char *path, const char *expected_id,
		 const char *expected_alg, const char *pass, size_t passlen,
		 const unsigned char *kek, gnutls_datum_t *plain,
		 struct pki_error *err)
{
	gnutls_datum_t img = { NULL, 0 };
	int rc;

	plain->data = NULL;
	plain->size = 0;
	rc = pki_file_read(path, PKI_LOCKBOX_MAX_FILE, &img, err);
	if (rc != PKI_OK)
		goto out;
	rc = pki_lockbox_open_mem(img.data, img.size, expected_id,
				  expected_alg, pass, passlen, kek, plain, err);
	if (rc != PKI_OK)
		pki_error_prefix(err, "%s", path);
out:
	gnutls_free(img.data);
	return rc;
}

/* ------------------------------------------------------------ online KEK */

struct pki_lockbox_kek {
	char state_path[PATH_MAX];      /* <state>/online.kek */
	char cred_path[PATH_MAX];       /* <credentials>/online.kek, or "" */
	unsigned char kek[PKI_LOCKBOX_KEK_SIZE];
	int have_kek;
};

int
pki_lockbox_kek_new(const char *state_dir, const char *credentials_dir,
		    struct pki_lockbox_kek **out, struct pki_error *err)
{
	struct pki_lockbox_kek *k = NULL;
	int rc = PKI_E_INVALID;

	*out = NULL;
	if (state_dir == NULL || *state_dir == '\0') {
		rc = pki_error_set(err, PKI_E_INVALID, "no state directory "
				   "given for the online key file");
		goto out;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	if ((size_t)snprintf(k->state_path, sizeof(k->state_path), "%s/%s",
			     state_dir, pki_state_file_name(PKI_STATE_KEK)) >=
	    sizeof(k->state_path)) {
		rc = pki_error_set(err, PKI_E_INVALID, "state directory path "
				   "too long");
		goto out;
	}
	if (credentials_dir != NULL && *credentials_dir != '\0' &&
	    (size_t)snprintf(k->cred_path, sizeof(k->cred_path), "%s/%s",
			     credentials_dir,
			     pki_state_file_name(PKI_STATE_KEK)) >=
	    sizeof(k->cred_path)) {
		rc = pki_error_set(err, PKI_E_INVALID, "$CREDENTIALS_DIRECTORY "
				   "path too long");
		goto out;
	}
	*out = k;
	k = NULL;
	rc = PKI_OK;
out:
	pki_lockbox_kek_free(k);
	return rc;
}

void
pki_lockbox_kek_free(struct pki_lockbox_kek *k)
{
	if (k == NULL)
		return;
	pki_memzero(k->kek, sizeof(k->kek));
	free(k);
}

/* Read a 32-byte KEK from an open file, refusing loose permissions. */
static int
read_kek_fd(int fd, const char *path, unsigned char *kek,
	    struct pki_error *err)
{
	struct stat st;
	size_t off = 0;
	ssize_t n;

	if (fstat(fd, &st) != 0)
		return pki_error_set(err, PKI_E_IO, "cannot stat %s: %s", path,
				     strerror(errno));
	if (!S_ISREG(st.st_mode))
		return pki_error_set(err, PKI_E_INVALID, "%s is not a regular "
				     "file", path);
	if ((st.st_mode & 077) != 0)
		return pki_error_set(err, PKI_E_INVALID, "%s is accessible by "
				     "group or others (mode %04o); refusing to "
				     "use it: run chmod 0400 %s", path,
				     (unsigned)(st.st_mode & 07777), path);
	if (st.st_size != PKI_LOCKBOX_KEK_SIZE)
		return pki_error_set(err, PKI_E_INVALID, "%s is %lld bytes, "
				     "not %d: it is not a spork online key file",
				     path, (long long)st.st_size,
				     PKI_LOCKBOX_KEK_SIZE);
	while (off < PKI_LOCKBOX_KEK_SIZE) {
		n = read(fd, kek + off, PKI_LOCKBOX_KEK_SIZE - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			pki_memzero(kek, PKI_LOCKBOX_KEK_SIZE);
			return pki_error_set(err, PKI_E_IO, "cannot read %s: %s",
					     path, n < 0 ? strerror(errno) :
					     "short file");
		}
		off += (size_t)n;
	}
	return PKI_OK;
}

/*
 * Read the KEK at path into k->kek.  PKI_E_NOTFOUND (err untouched) if
 * it does not exist; any other failure to open it is PKI_E_IO, with
 * why appended to the message.
 */
static int
kek_read(struct pki_lockbox_kek *k, const char *path, const char *why,
	 struct pki_error *err)
{
	int fd = -1, rc = PKI_E_IO;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			rc = PKI_E_NOTFOUND;
		else
			rc = pki_error_set(err, PKI_E_IO, "cannot open %s: "
					   "%s%s", path, strerror(errno), why);
		goto out;
	}
	if ((rc = read_kek_fd(fd, path, k->kek, err)) == PKI_OK)
		k->have_kek = 1;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Fill k->kek from the credential or <state>/online.kek, creating the
 * latter when create is set; see lockbox.h. */
static int
kek_get(struct pki_lockbox_kek *k, int create, const unsigned char **kek,
	struct pki_error *err)
{
	unsigned char fresh[PKI_LOCKBOX_KEK_SIZE];
	int tries, rc = PKI_E_IO;

	*kek = NULL;
	if (k->have_kek) {
		rc = PKI_OK;
		goto out;
	}
	/* Only a missing credential falls back to the state directory:
	 * any other failure would seal keys under a second KEK there. */
	if (k->cred_path[0] != '\0' &&
	    (rc = kek_read(k, k->cred_path, "; refusing to fall back to the "
			   "state directory's online.kek", err)) !=
	    PKI_E_NOTFOUND)
		goto out;
	for (tries = 0; tries < 2; tries++) {
		rc = kek_read(k, k->state_path, "", err);
		if (rc != PKI_E_NOTFOUND)
			goto out;
		if (!create) {
			rc = pki_error_set(err, PKI_E_NOTFOUND, "%s does not "
					   "exist: online keys of this state "
					   "directory cannot be unsealed "
					   "without it", k->state_path);
			goto out;
		}
		if ((rc = pki__random(fresh, sizeof(fresh), err)) != PKI_OK)
			goto out;
		rc = pki_file_write(k->state_path, fresh, sizeof(fresh), 0400,
				     1, err);
		if (rc == PKI_OK) {
			memcpy(k->kek, fresh, sizeof(fresh));
			k->have_kek = 1;
			goto out;
		}
		/* Another process created it meanwhile: read theirs. */
		if (rc != PKI_E_EXISTS)
			goto out;
	}
out:
	pki_memzero(fresh, sizeof(fresh));
	if (rc == PKI_OK)
		*kek = k->kek;
	return rc;
}

int
pki_lockbox_kek_load(struct pki_lockbox_kek *k, const unsigned char **kek,
		     struct pki_error *err)
{
	return kek_get(k, 0, kek, err);
}

int
pki_lockbox_kek_create(struct pki_lockbox_kek *k, const unsigned char **kek,
		       struct pki_error *err)
{
	return kek_get(k, 1, kek, err);
}
