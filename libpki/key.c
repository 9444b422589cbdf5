/* key: private key generation and loading; see key.h */
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

#include <gnutls/abstract.h>
#include <gnutls/pkcs11.h>
#include <gnutls/x509.h>

#include "key.h"
#include "lockbox.h"
#include "util.h"

#define KEY_ID_HEX 64
#define URI_LOCKBOX "lockbox:"
#define URI_ONLINE ";kek=online"
#define URI_PKCS11 "pkcs11:"
#define PASS_MAX 1024
/* Room for a key URI in a message (redacted, see shown()). */
#define URI_SHOWN 512

struct pki_keystore {
	char *state_dir;
	char *lockbox_dir;
	pki_passphrase_fn passfn;
	void *passctx;
	struct pki_argon2_params argon2;
	unsigned char kek[PKI_LOCKBOX_KEK_SIZE];
	int have_kek;
	/* Why the last PIN callback failed, for a better message. */
	struct pki_error pin_err;
	int pin_failed;
	/* Ids of the keys sealed through this keystore (pki_key_discard). */
	char (*sealed)[KEY_ID_HEX + 1];
	size_t nsealed, capsealed;
};

static const struct {
	const char *name;
	gnutls_pk_algorithm_t pk;
	unsigned bits;              /* RSA modulus size */
	gnutls_ecc_curve_t curve;   /* ECDSA/EdDSA curve */
	gnutls_digest_algorithm_t dig;
	gnutls_sign_algorithm_t sign;
} algs[PKI_KEY__MAX] = {
	[PKI_KEY_ECDSA_P256] = { "ecdsa-p256", GNUTLS_PK_ECDSA, 0,
		GNUTLS_ECC_CURVE_SECP256R1, GNUTLS_DIG_SHA256,
		GNUTLS_SIGN_ECDSA_SHA256 },
	[PKI_KEY_ECDSA_P384] = { "ecdsa-p384", GNUTLS_PK_ECDSA, 0,
		GNUTLS_ECC_CURVE_SECP384R1, GNUTLS_DIG_SHA384,
		GNUTLS_SIGN_ECDSA_SHA384 },
	[PKI_KEY_ECDSA_P521] = { "ecdsa-p521", GNUTLS_PK_ECDSA, 0,
		GNUTLS_ECC_CURVE_SECP521R1, GNUTLS_DIG_SHA512,
		GNUTLS_SIGN_ECDSA_SHA512 },
	[PKI_KEY_RSA_2048] = { "rsa-2048", GNUTLS_PK_RSA, 2048,
		GNUTLS_ECC_CURVE_INVALID, GNUTLS_DIG_SHA256,
		GNUTLS_SIGN_RSA_SHA256 },
	[PKI_KEY_RSA_3072] = { "rsa-3072", GNUTLS_PK_RSA, 3072,
		GNUTLS_ECC_CURVE_INVALID, GNUTLS_DIG_SHA256,
		GNUTLS_SIGN_RSA_SHA256 },
	[PKI_KEY_RSA_4096] = { "rsa-4096", GNUTLS_PK_RSA, 4096,
		GNUTLS_ECC_CURVE_INVALID, GNUTLS_DIG_SHA384,
		GNUTLS_SIGN_RSA_SHA384 },
	[PKI_KEY_ED25519] = { "ed25519", GNUTLS_PK_EDDSA_ED25519, 0,
		GNUTLS_ECC_CURVE_ED25519, GNUTLS_DIG_UNKNOWN,
		GNUTLS_SIGN_EDDSA_ED25519 },
	[PKI_KEY_ED448] = { "ed448", GNUTLS_PK_EDDSA_ED448, 0,
		GNUTLS_ECC_CURVE_ED448, GNUTLS_DIG_UNKNOWN,
		GNUTLS_SIGN_EDDSA_ED448 },
};

static int
alg_valid(enum pki_key_alg alg)
{
	return (int)alg >= 0 && alg < PKI_KEY__MAX;
}

int
pki_key_alg_from_name(const char *name, enum pki_key_alg *out,
		      struct pki_error *err)
{
	int i;

	for (i = 0; i < PKI_KEY__MAX; i++) {
		if (name != NULL && strcmp(name, algs[i].name) == 0) {
			*out = (enum pki_key_alg)i;
			return PKI_OK;
		}
	}
	return pki_error_set(err, PKI_E_UNSUPPORTED, "unsupported key "
			     "algorithm '%s'; use one of ecdsa-p256, "
			     "ecdsa-p384, ecdsa-p521, rsa-2048, rsa-3072, "
			     "rsa-4096, ed25519, ed448",
			     name != NULL ? name : "(none)");
}

const char *
pki_key_alg_name(enum pki_key_alg alg)
{
	return alg_valid(alg) ? algs[alg].name : "unknown";
}

gnutls_digest_algorithm_t
pki_key_alg_digest(enum pki_key_alg alg)
{
	return alg_valid(alg) ? algs[alg].dig : GNUTLS_DIG_UNKNOWN;
}

gnutls_sign_algorithm_t
pki_key_alg_sign(enum pki_key_alg alg)
{
	return alg_valid(alg) ? algs[alg].sign : GNUTLS_SIGN_UNKNOWN;
}

int
pki_key_alg_of_pubkey(gnutls_pubkey_t pub, enum pki_key_alg *out,
		      struct pki_error *err)
{
	gnutls_datum_t x = { NULL, 0 }, y = { NULL, 0 };
	gnutls_ecc_curve_t curve = GNUTLS_ECC_CURVE_INVALID;
	unsigned bits = 0;
	int pk, ret, i, rc = PKI_E_UNSUPPORTED;

	pk = gnutls_pubkey_get_pk_algorithm(pub, &bits);
	if (pk < 0) {
		rc = pki__gnutls_error(err, pk, "gnutls_pubkey_get_pk_algorithm");
		goto out;
	}
	if (pk == GNUTLS_PK_ECDSA) {
		ret = gnutls_pubkey_export_ecc_raw2(pub, &curve, &x, &y, 0);
		if (ret < 0) {
			rc = pki__gnutls_error(err, ret,
					       "gnutls_pubkey_export_ecc_raw2");
			goto out;
		}
	}
	for (i = 0; i < PKI_KEY__MAX; i++) {
		if (algs[i].pk != (gnutls_pk_algorithm_t)pk)
			continue;
		if ((pk == GNUTLS_PK_RSA && algs[i].bits != bits) ||
		    (pk == GNUTLS_PK_ECDSA && algs[i].curve != curve))
			continue;
		*out = (enum pki_key_alg)i;
		rc = PKI_OK;
		goto out;
	}
	rc = pki_error_set(err, PKI_E_UNSUPPORTED, "unsupported key: %s "
			   "%u bits%s%s; spork uses ECDSA P-256/P-384/P-521, "
			   "RSA 2048/3072/4096, Ed25519 and Ed448",
			   gnutls_pk_get_name((gnutls_pk_algorithm_t)pk), bits,
			   curve != GNUTLS_ECC_CURVE_INVALID ? " curve " : "",
			   curve != GNUTLS_ECC_CURVE_INVALID ?
			   gnutls_ecc_curve_get_name(curve) : "");
out:
	gnutls_free(x.data);
	gnutls_free(y.data);
	return rc;
}

int
pki_key_id(gnutls_pubkey_t pub, char *out, size_t outlen,
	   struct pki_error *err)
{
	unsigned char id[64];
	size_t idlen = sizeof(id);
	int ret;

	if (outlen < KEY_ID_HEX + 1)
		return pki_error_set(err, PKI_E_INVALID, "pki_key_id: output "
				     "buffer too small");
	ret = gnutls_pubkey_get_key_id(pub, GNUTLS_KEYID_USE_SHA256, id, &idlen);
	if (ret < 0)
		return pki__gnutls_error(err, ret, "gnutls_pubkey_get_key_id");
	if (idlen != KEY_ID_HEX / 2)
		return pki_error_set(err, PKI_E_CRYPTO, "gnutls_pubkey_get_key_id "
				     "returned %zu bytes, expected 32", idlen);
	pki__hex(id, idlen, out);
	return PKI_OK;
}

int
pki_key_generate(enum pki_key_alg alg, gnutls_x509_privkey_t *out,
		 struct pki_error *err)
{
	gnutls_x509_privkey_t key = NULL;
	unsigned bits;
	int ret, rc = PKI_E_CRYPTO;

	*out = NULL;
	if (!alg_valid(alg)) {
		rc = pki_error_set(err, PKI_E_UNSUPPORTED, "unknown key "
				   "algorithm %d", (int)alg);
		goto out;
	}
	bits = algs[alg].pk == GNUTLS_PK_RSA ? algs[alg].bits :
	       GNUTLS_CURVE_TO_BITS(algs[alg].curve);
	if ((ret = gnutls_x509_privkey_init(&key)) < 0) {
		rc = pki__gnutls_error(err, ret, "gnutls_x509_privkey_init");
		goto out;
	}
	ret = gnutls_x509_privkey_generate2(key, algs[alg].pk, bits, 0, NULL, 0);
	if (ret < 0) {
		rc = pki__gnutls_error(err, ret, "gnutls_x509_privkey_generate2");
		pki_error_prefix(err, "generating a %s key", algs[alg].name);
		goto out;
	}
	*out = key;
	key = NULL;
	rc = PKI_OK;
out:
	if (key != NULL)
		gnutls_x509_privkey_deinit(key);
	return rc;
}

/* ------------------------------------------------------------ keystore */

static int
env_u32(const char *name, uint32_t min, uint32_t max, uint32_t *out,
	struct pki_error *err)
{
	const char *s = getenv(name);
	unsigned long long v = 0;
	const char *p;

	if (s == NULL || *s == '\0')
		return PKI_OK;
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || v > 0xffffffffull)
			break;
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (*p != '\0' || v < min || v > max)
		return pki_error_set(err, PKI_E_INVALID, "%s=%s: expected a "
				     "number from %" PRIu32 " to %" PRIu32,
				     name, s, min, max);
	*out = (uint32_t)v;
	return PKI_OK;
}

int
pki_keystore_open(const char *state_dir, pki_passphrase_fn passfn,
		  void *passctx, struct pki_keystore **out,
		  struct pki_error *err)
{
	struct pki_keystore *ks = NULL;
	size_t n;
	int rc = PKI_E_NOMEM;

	*out = NULL;
	if (state_dir == NULL || *state_dir == '\0') {
		rc = pki_error_set(err, PKI_E_INVALID, "no state directory "
				   "given for the key store");
		goto out;
	}
	if ((ks = calloc(1, sizeof(*ks))) == NULL ||
	    (ks->state_dir = strdup(state_dir)) == NULL) {
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	n = strlen(state_dir) + sizeof("/lockbox");
	if ((ks->lockbox_dir = malloc(n)) == NULL) {
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	snprintf(ks->lockbox_dir, n, "%s/lockbox", state_dir);
	ks->passfn = passfn;
	ks->passctx = passctx;
	ks->argon2.t_cost = PKI_LOCKBOX_ARGON2_DEFAULT_PASSES;
	ks->argon2.m_cost_kib = PKI_LOCKBOX_ARGON2_DEFAULT_KIB;
	ks->argon2.lanes = PKI_LOCKBOX_ARGON2_DEFAULT_LANES;
	if ((rc = env_u32("SPORK_ARGON2_MEMORY_KIB", PKI_LOCKBOX_ARGON2_MIN_KIB,
			  PKI_LOCKBOX_ARGON2_MAX_KIB, &ks->argon2.m_cost_kib,
			  err)) != PKI_OK ||
	    (rc = env_u32("SPORK_ARGON2_PASSES", PKI_LOCKBOX_ARGON2_MIN_PASSES,
			  PKI_LOCKBOX_ARGON2_MAX_PASSES, &ks->argon2.t_cost,
			  err)) != PKI_OK)
		goto out;
	if ((rc = pki__mkdirs(ks->lockbox_dir, 0700, err)) != PKI_OK)
		goto out;
	*out = ks;
	ks = NULL;
	rc = PKI_OK;
out:
	pki_keystore_free(ks);
	return rc;
}

static int pin_cb(void *userdata, int attempt, const char *token_url,
		  const char *token_label, unsigned int flags, char *pin,
		  size_t pin_max);

void
pki_keystore_free(struct pki_keystore *ks)
{
	void *ud = NULL;

	if (ks == NULL)
		return;
	if (gnutls_pkcs11_get_pin_function(&ud) == pin_cb && ud == ks)
		gnutls_pkcs11_set_pin_function(NULL, NULL);
	pki_memzero(ks->kek, sizeof(ks->kek));
	free(ks->sealed);
	free(ks->state_dir);
	free(ks->lockbox_dir);
	free(ks);
}

void
pki_keystore_set_argon2(struct pki_keystore *ks,
			const struct pki_argon2_params *p)
{
	if (ks != NULL && p != NULL)
		ks->argon2 = *p;
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
 * Make ks->kek hold the online KEK: $CREDENTIALS_DIRECTORY/online.kek if
 * it exists (failing to open it for any other reason is an error), else
 * <state>/online.kek, created (when create is set) with 32 random bytes,
 * mode 0400, atomically and exclusively.
 */
static int
load_kek(struct pki_keystore *ks, int create, struct pki_error *err)
{
	char path[PATH_MAX];
	unsigned char fresh[PKI_LOCKBOX_KEK_SIZE];
	const char *cred = getenv("CREDENTIALS_DIRECTORY");
	int fd = -1, tries, rc = PKI_E_IO;

	if (ks->have_kek)
		return PKI_OK;
	if (cred != NULL && *cred != '\0') {
		if ((size_t)snprintf(path, sizeof(path), "%s/online.kek",
				     cred) >= sizeof(path)) {
			rc = pki_error_set(err, PKI_E_INVALID,
					   "$CREDENTIALS_DIRECTORY path too "
					   "long");
			goto out;
		}
		if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) >= 0) {
			rc = read_kek_fd(fd, path, ks->kek, err);
			goto done;
		}
		/* Only a missing credential falls back to the state
		 * directory: any other failure would seal keys under a
		 * second KEK there. */
		if (errno != ENOENT) {
			rc = pki_error_set(err, PKI_E_IO, "cannot open %s: %s; "
					   "refusing to fall back to the state "
					   "directory's online.kek", path,
					   strerror(errno));
			goto out;
		}
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/online.kek",
			     ks->state_dir) >= sizeof(path)) {
		rc = pki_error_set(err, PKI_E_INVALID, "state directory path "
				   "too long");
		goto out;
	}
	for (tries = 0; tries < 2; tries++) {
		if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) >= 0) {
			rc = read_kek_fd(fd, path, ks->kek, err);
			goto done;
		}
		if (errno != ENOENT) {
			rc = pki_error_set(err, PKI_E_IO, "cannot open %s: %s",
					   path, strerror(errno));
			goto out;
		}
		if (!create) {
			rc = pki_error_set(err, PKI_E_NOTFOUND, "%s does not "
					   "exist: online keys of this state "
					   "directory cannot be unsealed "
					   "without it", path);
			goto out;
		}
		if ((rc = pki__random(fresh, sizeof(fresh), err)) != PKI_OK)
			goto out;
		rc = pki__file_write(path, fresh, sizeof(fresh), 0400, 1, err);
		if (rc == PKI_OK) {
			memcpy(ks->kek, fresh, sizeof(fresh));
			ks->have_kek = 1;
			goto out;
		}
		/* Another process created it meanwhile: read theirs. */
		if (rc != PKI_E_EXISTS)
			goto out;
	}
	goto out;
done:
	if (rc == PKI_OK)
		ks->have_kek = 1;
out:
	if (fd >= 0)
		close(fd);
	pki_memzero(fresh, sizeof(fresh));
	return rc;
}

/* ------------------------------------------------------------ URIs */

/* Parse "lockbox:<64 hex>[;kek=online]". */
static int
parse_lockbox_uri(const char *uri, char *id, int *online)
{
	const char *p;
	size_t i;

	if (uri == NULL || strncmp(uri, URI_LOCKBOX, strlen(URI_LOCKBOX)) != 0)
		return -1;
	p = uri + strlen(URI_LOCKBOX);
	for (i = 0; i < KEY_ID_HEX; i++) {
		if (!((p[i] >= '0' && p[i] <= '9') ||
		      (p[i] >= 'a' && p[i] <= 'f')))
			return -1;
		id[i] = p[i];
	}
	id[KEY_ID_HEX] = '\0';
	p += KEY_ID_HEX;
	if (*p == '\0')
		*online = 0;
	else if (strcmp(p, URI_ONLINE) == 0)
		*online = 1;
	else
		return -1;
	return 0;
}

/*
 * Find attribute attr ("object") in a pkcs11: URI, path or query part,
 * and percent-decode its value into out.  Returns 1 if found, 0 if not,
 * -1 if malformed or too long.
 */
static int
p11_uri_attr(const char *uri, const char *attr, char *out, size_t outmax)
{
	const char *p = uri + strlen(URI_PKCS11);
	size_t alen = strlen(attr), n;

	while (*p != '\0') {
		const char *end = p + strcspn(p, ";?&");

		if ((size_t)(end - p) > alen && strncmp(p, attr, alen) == 0 &&
		    p[alen] == '=') {
			const char *v = p + alen + 1;

			for (n = 0; v < end; n++) {
				int c = (unsigned char)*v;

				if (n + 1 >= outmax)
					return -1;
				if (c == '%') {
					int hi, lo;

					if (end - v < 3 ||
					    (hi = pki__hexval(v[1])) < 0 ||
					    (lo = pki__hexval(v[2])) < 0)
						return -1;
					c = hi << 4 | lo;
					v += 3;
				} else {
					v++;
				}
				if (c == 0)
					return -1;
				out[n] = (char)c;
			}
			out[n] = '\0';
			return 1;
		}
		p = *end != '\0' ? end + 1 : end;
	}
	return 0;
}

/*
 * 1 if the attribute s (len bytes: "name" or "name=value") is named
 * pin-value, ignoring ASCII case, percent-encoding and white space in the
 * name (p11-kit strips white space from a URI before parsing it), so no
 * spelling of it survives redaction.
 */
static int
is_pin_value(const char *s, size_t len)
{
	static const char name[] = "pin-value";
	size_t i = 0, j = 0;
	int c, hi, lo;

	while (i < len && s[i] != '=') {
		c = (unsigned char)s[i];
		if (c == '%' && len - i >= 3 && (hi = pki__hexval(s[i + 1])) >= 0 &&
		    (lo = pki__hexval(s[i + 2])) >= 0) {
			c = hi << 4 | lo;
			i += 3;
		} else {
			i++;
		}
		if (c == ' ' || (c >= '\t' && c <= '\r'))
			continue;
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (name[j] == '\0' || c != name[j])
			return 0;
		j++;
	}
	return name[j] == '\0';
}

/* Append len bytes of s to out (outlen bytes, NUL kept); *n counts all. */
static void
put_bytes(char *out, size_t outlen, size_t *n, const char *s, size_t len)
{
	size_t k;

	for (k = 0; k < len; k++, (*n)++)
		if (*n + 1 < outlen)
			out[*n] = s[k];
	if (outlen > 0)
		out[*n < outlen ? *n : outlen - 1] = '\0';
}

/*
 * Copy the attributes of [s, end) separated by sep, leaving out pin-value
 * ones with the separator before them (after them for the first one).
 * lead is written before the first attribute kept (the '?' of a query).
 */
static void
put_attrs(char *out, size_t outlen, size_t *n, const char *s,
	  const char *end, char sep, const char *lead)
{
	const char *e;
	int first = 1;

	for (;;) {
		for (e = s; e < end && *e != sep; e++)
			;
		if (!is_pin_value(s, (size_t)(e - s))) {
			if (first)
				put_bytes(out, outlen, n, lead, strlen(lead));
			else
				put_bytes(out, outlen, n, &sep, 1);
			put_bytes(out, outlen, n, s, (size_t)(e - s));
			first = 0;
		}
		if (e == end)
			break;
		s = e + 1;
	}
}

/*
 * uri without its pin-value attributes into out (truncated to outlen-1
 * bytes; out may be NULL if outlen is 0).  RFC 7512: after the scheme,
 * path attributes separated by ';', then optionally '?' and query
 * attributes separated by '&'.  Applied whatever the scheme, so that a
 * mistyped "pkcs11:" does not show its PIN either; a lockbox: URI has no
 * pin-value and comes back as it is.  Returns the whole length.
 */
static size_t
redact(const char *uri, char *out, size_t outlen)
{
	const char *colon = strchr(uri, ':');
	const char *path = colon != NULL ? colon + 1 : uri;
	const char *q = path + strcspn(path, "?");
	size_t n = 0;

	if (outlen > 0)
		out[0] = '\0';
	put_bytes(out, outlen, &n, uri, (size_t)(path - uri));
	put_attrs(out, outlen, &n, path, q, ';', "");
	if (*q == '?')
		put_attrs(out, outlen, &n, q + 1, q + strlen(q), '&', "?");
	return n;
}

char *
pki_key_uri_redact(const char *uri)
{
	size_t n;
	char *out;

	if (uri == NULL)
		return NULL;
	n = redact(uri, NULL, 0);
	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	redact(uri, out, n + 1);
	return out;
}

/* uri as a message may show it: redacted, and truncated to fit buf. */
static const char *
shown(const char *uri, char *buf, size_t len)
{
	if (uri == NULL)
		return "(null)";
	redact(uri, buf, len);
	return buf;
}

int
pki_key_is_online(const char *key_uri)
{
	char id[KEY_ID_HEX + 1], v[PATH_MAX];
	int online = 0;

	if (key_uri == NULL)
		return 0;
	if (parse_lockbox_uri(key_uri, id, &online) == 0)
		return online;
	/* Not pin-value: a stored URI is redacted (pki_key_uri_redact). */
	if (strncmp(key_uri, URI_PKCS11, strlen(URI_PKCS11)) == 0)
		return p11_uri_attr(key_uri, "pin-source", v, sizeof(v)) == 1 &&
		       v[0] != '\0';
	return 0;
}

int
pki_key_uri_id(const char *key_uri, char *out, size_t outlen,
	       struct pki_error *err)
{
	char id[KEY_ID_HEX + 1], sh[URI_SHOWN];
	int online;

	if (outlen < sizeof(id))
		return pki_error_set(err, PKI_E_INVALID, "pki_key_uri_id: "
				     "output buffer too small");
	if (parse_lockbox_uri(key_uri, id, &online) != 0)
		return pki_error_set(err, PKI_E_PARSE, "'%s' is not a lockbox "
				     "key URI (lockbox:<64 hex digits>[%s])",
				     shown(key_uri, sh, sizeof(sh)), URI_ONLINE);
	memcpy(out, id, sizeof(id));
	return PKI_OK;
}

/* ------------------------------------------------------------ lockbox */

static int
lockbox_path(const struct pki_keystore *ks, const char *id, char *path,
	     size_t len, struct pki_error *err)
{
	if ((size_t)snprintf(path, len, "%s/%s.key", ks->lockbox_dir, id) >= len)
		return pki_error_set(err, PKI_E_INVALID, "state directory "
				     "path too long");
	return PKI_OK;
}

/* Ask the callback for a passphrase into buf; *len is its length. */
static int
ask_passphrase(struct pki_keystore *ks, const char *label, int is_new,
	       char *buf, size_t size, size_t *len, struct pki_error *err)
{
	int rc;

	*len = 0;
	buf[0] = '\0';
	if (ks->passfn == NULL)
		return pki_error_set(err, PKI_E_INVALID, "key '%s' is "
				     "protected by a passphrase, and no way to "
				     "ask for one was given (use a terminal, "
				     "--passphrase-file or "
				     "$CREDENTIALS_DIRECTORY)", label);
	rc = ks->passfn(ks->passctx, label, is_new, buf, size, err);
	if (rc != PKI_OK) {
		pki_memzero(buf, size);
		return rc;
	}
	buf[size - 1] = '\0';
	*len = strlen(buf);
	if (is_new && *len == 0)
		return pki_error_set(err, PKI_E_INVALID, "empty passphrase for "
				     "new key '%s' refused", label);
	return PKI_OK;
}

/* A gnutls_pubkey_t for an x509 private key; caller deinits. */
static int
pubkey_of_x509(gnutls_x509_privkey_t key, gnutls_pubkey_t *pub,
	       struct pki_error *err)
{
	gnutls_privkey_t p = NULL;
	gnutls_pubkey_t k = NULL;
	int ret, rc = PKI_E_CRYPTO;

	*pub = NULL;
	if ((ret = gnutls_privkey_init(&p)) < 0 ||
	    (ret = gnutls_privkey_import_x509(p, key, 0)) < 0 ||
	    (ret = gnutls_pubkey_init(&k)) < 0 ||
	    (ret = gnutls_pubkey_import_privkey(k, p, 0, 0)) < 0) {
		rc = pki__gnutls_error(err, ret, "deriving the public key");
		goto out;
	}
	*pub = k;
	k = NULL;
	rc = PKI_OK;
out:
	if (k != NULL)
		gnutls_pubkey_deinit(k);
	if (p != NULL)
		gnutls_privkey_deinit(p);
	return rc;
}

/* Room to record one more sealed key id (before sealing, so that a key
 * on disk is always recorded). */
static int
sealed_reserve(struct pki_keystore *ks, struct pki_error *err)
{
	char (*n)[KEY_ID_HEX + 1];
	size_t cap;

	if (ks->nsealed < ks->capsealed)
		return PKI_OK;
	cap = ks->capsealed != 0 ? ks->capsealed * 2 : 8;
	if ((n = realloc(ks->sealed, cap * sizeof(*n))) == NULL)
		return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	ks->sealed = n;
	ks->capsealed = cap;
	return PKI_OK;
}

/* Seal an in-memory key into the lockbox; *key_uri on success. */
static int
seal_x509(struct pki_keystore *ks, gnutls_x509_privkey_t key, int online,
	  const char *label, char **key_uri, struct pki_error *err)
{
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t der = { NULL, 0 };
	enum pki_key_alg alg;
	char id[KEY_ID_HEX + 1], path[PATH_MAX], pass[PASS_MAX];
	size_t passlen = 0, ulen;
	char *uri = NULL;
	int ret, rc = PKI_E_FAIL;

	*key_uri = NULL;
	pass[0] = '\0';
	if ((rc = pubkey_of_x509(key, &pub, err)) != PKI_OK ||
	    (rc = pki_key_alg_of_pubkey(pub, &alg, err)) != PKI_OK ||
	    (rc = pki_key_id(pub, id, sizeof(id), err)) != PKI_OK ||
	    (rc = lockbox_path(ks, id, path, sizeof(path), err)) != PKI_OK)
		goto out;
	if (access(path, F_OK) == 0) {
		rc = pki_error_set(err, PKI_E_EXISTS, "key %s is already in "
				   "the lockbox (%s)", id, path);
		goto out;
	}
	if ((rc = sealed_reserve(ks, err)) != PKI_OK)
		goto out;
	ret = gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_DER, NULL,
						GNUTLS_PKCS_PLAIN, &der);
	if (ret < 0) {
		rc = pki__gnutls_error(err, ret,
				       "gnutls_x509_privkey_export2_pkcs8");
		goto out;
	}
	ulen = strlen(URI_LOCKBOX) + KEY_ID_HEX + strlen(URI_ONLINE) + 1;
	if ((uri = malloc(ulen)) == NULL) {
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	snprintf(uri, ulen, "%s%s%s", URI_LOCKBOX, id, online ? URI_ONLINE : "");
	if (online) {
		if ((rc = load_kek(ks, 1, err)) != PKI_OK)
			goto out;
		rc = pki_lockbox_seal(path, id, algs[alg].name, &der, NULL, 0,
				      NULL, ks->kek, err);
	} else {
		rc = ask_passphrase(ks, label, 1, pass, sizeof(pass), &passlen,
				    err);
		if (rc != PKI_OK)
			goto out;
		rc = pki_lockbox_seal(path, id, algs[alg].name, &der, pass,
				      passlen, &ks->argon2, NULL, err);
	}
	if (rc != PKI_OK)
		goto out;
	memcpy(ks->sealed[ks->nsealed++], id, sizeof(id));
	*key_uri = uri;
	uri = NULL;
	rc = PKI_OK;
out:
	pki_memzero(pass, sizeof(pass));
	if (der.data != NULL) {
		pki_memzero(der.data, der.size);
		gnutls_free(der.data);
	}
	if (pub != NULL)
		gnutls_pubkey_deinit(pub);
	free(uri);
	return rc;
}

static int
load_lockbox(struct pki_keystore *ks, const char *key_uri,
	     enum pki_key_alg expected_alg, const char *label,
	     gnutls_privkey_t *priv, struct pki_error *err)
{
	struct pki_lockbox_info info;
	gnutls_datum_t img = { NULL, 0 }, plain = { NULL, 0 };
	gnutls_x509_privkey_t x = NULL;
	gnutls_privkey_t p = NULL;
	gnutls_pubkey_t pub = NULL;
	enum pki_key_alg alg;
	char id[KEY_ID_HEX + 1], got[KEY_ID_HEX + 1], path[PATH_MAX];
	char pass[PASS_MAX], sh[URI_SHOWN];
	size_t passlen = 0;
	int online = 0, ret, rc = PKI_E_FAIL;

	pass[0] = '\0';
	if (parse_lockbox_uri(key_uri, id, &online) != 0) {
		rc = pki_error_set(err, PKI_E_PARSE, "malformed key URI '%s': "
				   "expected lockbox:<64 hex digits>[%s]",
				   shown(key_uri, sh, sizeof(sh)), URI_ONLINE);
		goto out;
	}
	if ((rc = lockbox_path(ks, id, path, sizeof(path), err)) != PKI_OK)
		goto out;
	rc = pki__file_read(path, PKI_LOCKBOX_MAX_FILE, &img, err);
	if (rc != PKI_OK)
		goto out;
	if ((rc = pki_lockbox_info_mem(img.data, img.size, &info, err)) != PKI_OK)
		goto fail_path;
	if ((info.kind == PKI_LOCKBOX_KEKFILE) != online) {
		rc = pki_error_set(err, PKI_E_AUTH, "key URI says the key is "
				   "%s, but the sealed file is %s: the file was "
				   "swapped or tampered with",
				   online ? "online" : "offline",
				   online ? "sealed under a passphrase" :
				   "sealed under online.kek");
		goto fail_path;
	}
	if (online) {
		if ((rc = load_kek(ks, 0, err)) != PKI_OK)
			goto out;
		rc = pki_lockbox_open_mem(img.data, img.size, id,
					  algs[expected_alg].name, NULL, 0,
					  ks->kek, &plain, err);
	} else {
		rc = ask_passphrase(ks, label, 0, pass, sizeof(pass), &passlen,
				    err);
		if (rc != PKI_OK)
			goto out;
		rc = pki_lockbox_open_mem(img.data, img.size, id,
					  algs[expected_alg].name, pass,
					  passlen, NULL, &plain, err);
	}
	if (rc != PKI_OK)
		goto fail_path;
	if ((ret = gnutls_x509_privkey_init(&x)) < 0 ||
	    (ret = gnutls_x509_privkey_import_pkcs8(x, &plain,
						    GNUTLS_X509_FMT_DER, NULL,
						    GNUTLS_PKCS_PLAIN)) < 0) {
		rc = pki__gnutls_error(err, ret, "gnutls_x509_privkey_import_pkcs8");
		goto fail_path;
	}
	if ((rc = pubkey_of_x509(x, &pub, err)) != PKI_OK ||
	    (rc = pki_key_id(pub, got, sizeof(got), err)) != PKI_OK ||
	    (rc = pki_key_alg_of_pubkey(pub, &alg, err)) != PKI_OK)
		goto fail_path;
	if (strcmp(got, id) != 0 || alg != expected_alg) {
		rc = pki_error_set(err, PKI_E_AUTH, "the sealed key is %s %s, "
				   "not %s %s", algs[alg].name, got,
				   algs[expected_alg].name, id);
		goto fail_path;
	}
	if ((ret = gnutls_privkey_init(&p)) < 0 ||
	    (ret = gnutls_privkey_import_x509(p, x,
			GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE)) < 0) {
		rc = pki__gnutls_error(err, ret, "gnutls_privkey_import_x509");
		goto out;
	}
	x = NULL;
	*priv = p;
	p = NULL;
	rc = PKI_OK;
	goto out;
fail_path:
	pki_error_prefix(err, "%s", path);
out:
	pki_memzero(pass, sizeof(pass));
	if (plain.data != NULL) {
		pki_memzero(plain.data, plain.size);
		gnutls_free(plain.data);
	}
	gnutls_free(img.data);
	if (pub != NULL)
		gnutls_pubkey_deinit(pub);
	if (x != NULL)
		gnutls_x509_privkey_deinit(x);
	if (p != NULL)
		gnutls_privkey_deinit(p);
	return rc;
}

/* ------------------------------------------------------------ PKCS#11 */

static int
pin_cb(void *userdata, int attempt, const char *token_url,
       const char *token_label, unsigned int flags, char *pin, size_t pin_max)
{
	struct pki_keystore *ks = userdata;
	char label[300];
	int rc;

	if (ks == NULL || ks->passfn == NULL || pin_max == 0)
		return GNUTLS_E_PKCS11_PIN_ERROR;
	if (attempt > 0 || (flags & GNUTLS_PIN_WRONG)) {
		/* Do not retry: a loop could lock the token. */
		pki_error_set(&ks->pin_err, PKI_E_AUTH, "wrong PIN for "
			      "PKCS#11 token '%s'", token_label);
		ks->pin_failed = 1;
		return GNUTLS_E_PKCS11_PIN_ERROR;
	}
	if (flags & GNUTLS_PIN_SO) {
		pki_error_set(&ks->pin_err, PKI_E_INVALID, "PKCS#11 token "
			      "'%s' asks for the security officer PIN; spork "
			      "only uses the user PIN", token_label);
		ks->pin_failed = 1;
		return GNUTLS_E_PKCS11_PIN_ERROR;
	}
	snprintf(label, sizeof(label), "PIN of PKCS#11 token '%s'", token_label);
	rc = ks->passfn(ks->passctx, label, 0, pin, pin_max, &ks->pin_err);
	if (rc != PKI_OK) {
		pki_memzero(pin, pin_max);
		ks->pin_failed = 1;
		return GNUTLS_E_PKCS11_PIN_ERROR;
	}
	pin[pin_max - 1] = '\0';
	return 0;
}

static int p11_initialized;

/* Load SPORK_PKCS11_MODULE once per process; install the PIN callback. */
static int
p11_setup(struct pki_keystore *ks, struct pki_error *err)
{
	const char *mod = getenv("SPORK_PKCS11_MODULE");
	int ret;

	if (!p11_initialized && mod != NULL && *mod != '\0') {
		ret = gnutls_pkcs11_init(GNUTLS_PKCS11_FLAG_MANUAL, NULL);
		if (ret < 0)
			return pki__gnutls_error(err, ret, "gnutls_pkcs11_init");
		ret = gnutls_pkcs11_add_provider(mod, NULL);
		if (ret < 0) {
			pki__gnutls_error(err, ret, "gnutls_pkcs11_add_provider");
			pki_error_prefix(err, "loading PKCS#11 module %s "
					 "(SPORK_PKCS11_MODULE)", mod);
			return err != NULL ? err->code : PKI_E_CRYPTO;
		}
	}
	p11_initialized = 1;
	if (ks->passfn != NULL)
		gnutls_pkcs11_set_pin_function(pin_cb, ks);
	ks->pin_failed = 0;
	pki_error_clear(&ks->pin_err);
	return PKI_OK;
}

/* Report a failed PKCS#11 call, preferring the PIN callback's reason. */
static int
p11_error(struct pki_keystore *ks, struct pki_error *err, int ret,
	  const char *what, const char *uri)
{
	char sh[URI_SHOWN];
	int rc;

	if (ks->pin_failed && ks->pin_err.code != PKI_OK) {
		rc = pki_error_set(err, ks->pin_err.code, "%s", ks->pin_err.msg);
	} else if (ret == GNUTLS_E_PKCS11_PIN_ERROR) {
		rc = pki_error_set(err, PKI_E_AUTH, "the token refused the "
				   "PIN, or none was given (%s: %s); check the "
				   "URI's pin-value or pin-source, or the PIN "
				   "entered", what, gnutls_strerror(ret));
	} else {
		rc = pki__gnutls_error(err, ret, what);
	}
	pki_error_prefix(err, "%s", shown(uri, sh, sizeof(sh)));
	return rc;
}

static int
p11_not_found(int ret)
{
	return ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE ||
	       ret == GNUTLS_E_PKCS11_REQUESTED_OBJECT_NOT_AVAILBLE;
}

/* Import the private key at uri; check its algorithm when alg >= 0. */
static int
p11_import(struct pki_keystore *ks, const char *uri, int alg,
	   gnutls_privkey_t *priv, int *gnutls_rc, struct pki_error *err)
{
	gnutls_privkey_t p = NULL;
	gnutls_pubkey_t pub = NULL;
	enum pki_key_alg got;
	char sh[URI_SHOWN];
	int ret, rc = PKI_E_CRYPTO;

	*gnutls_rc = 0;
	if ((ret = gnutls_privkey_init(&p)) < 0) {
		rc = pki__gnutls_error(err, ret, "gnutls_privkey_init");
		goto out;
	}
	if ((ret = gnutls_privkey_import_url(p, uri, 0)) < 0) {
		*gnutls_rc = ret;
		if (p11_not_found(ret))
			rc = pki_error_set(err, PKI_E_NOTFOUND, "%s: no such "
					   "private key in the token",
					   shown(uri, sh, sizeof(sh)));
		else
			rc = p11_error(ks, err, ret, "gnutls_privkey_import_url",
				       uri);
		goto out;
	}
	if ((ret = gnutls_pubkey_init(&pub)) < 0 ||
	    (ret = gnutls_pubkey_import_privkey(pub, p, 0, 0)) < 0) {
		rc = p11_error(ks, err, ret, "reading the token key's public key",
			       uri);
		goto out;
	}
	if ((rc = pki_key_alg_of_pubkey(pub, &got, err)) != PKI_OK)
		goto out;
	if (alg >= 0 && got != (enum pki_key_alg)alg) {
		rc = pki_error_set(err, PKI_E_CONFLICT, "%s is a %s key, not "
				   "%s", shown(uri, sh, sizeof(sh)),
				   algs[got].name, algs[alg].name);
		goto out;
	}
	*priv = p;
	p = NULL;
	rc = PKI_OK;
out:
	if (pub != NULL)
		gnutls_pubkey_deinit(pub);
	if (p != NULL)
		gnutls_privkey_deinit(p);
	return rc;
}

static int
p11_create(struct pki_keystore *ks, enum pki_key_alg alg, const char *uri,
	   char **key_uri, gnutls_privkey_t *priv, struct pki_error *err)
{
	gnutls_privkey_t p = NULL;
	char object[256], sh[URI_SHOWN], *dup = NULL;
	unsigned bits;
	int ret, grc, rc = PKI_E_FAIL;

	if ((rc = p11_setup(ks, err)) != PKI_OK)
		goto out;
	rc = p11_import(ks, uri, (int)alg, &p, &grc, err);
	if (rc == PKI_OK)
		goto done;
	if (rc != PKI_E_NOTFOUND)
		goto out;
	if (p11_uri_attr(uri, "object", object, sizeof(object)) != 1 ||
	    object[0] == '\0') {
		rc = pki_error_set(err, PKI_E_INVALID, "%s names no private "
				   "key to create: add object=<label> to the "
				   "URI", shown(uri, sh, sizeof(sh)));
		goto out;
	}
	bits = algs[alg].pk == GNUTLS_PK_RSA ? algs[alg].bits :
	       GNUTLS_CURVE_TO_BITS(algs[alg].curve);
	ks->pin_failed = 0;
	ret = gnutls_pkcs11_privkey_generate3(uri, algs[alg].pk, bits, object,
		NULL, GNUTLS_X509_FMT_DER, NULL,
		GNUTLS_KEY_DIGITAL_SIGNATURE | GNUTLS_KEY_KEY_CERT_SIGN |
		GNUTLS_KEY_CRL_SIGN,
		GNUTLS_PKCS11_OBJ_FLAG_LOGIN |
		GNUTLS_PKCS11_OBJ_FLAG_MARK_SENSITIVE |
		GNUTLS_PKCS11_OBJ_FLAG_MARK_PRIVATE);
	if (ret < 0 && !ks->pin_failed && algs[alg].pk != GNUTLS_PK_RSA &&
	    algs[alg].pk != GNUTLS_PK_ECDSA) {
		/* GnuTLS 3.7 cannot generate EdDSA keys in a token. */
		rc = pki_error_set(err, PKI_E_UNSUPPORTED, "%s: cannot "
				   "generate a %s key in the token (%s): "
				   "create it with the token's own tool and "
				   "name it in the URI, or use ECDSA or RSA",
				   shown(uri, sh, sizeof(sh)), algs[alg].name,
				   gnutls_strerror(ret));
		goto out;
	}
	if (ret < 0) {
		rc = p11_error(ks, err, ret, "gnutls_pkcs11_privkey_generate3",
			       uri);
		pki_error_prefix(err, "generating a %s key in the token",
				 algs[alg].name);
		goto out;
	}
	if ((rc = p11_import(ks, uri, (int)alg, &p, &grc, err)) != PKI_OK)
		goto out;
done:
	if ((dup = strdup(uri)) == NULL) {
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	*key_uri = dup;
	*priv = p;
	p = NULL;
	rc = PKI_OK;
out:
	if (p != NULL)
		gnutls_privkey_deinit(p);
	return rc;
}

/* ------------------------------------------------------------ API */

int
pki_key_create(struct pki_keystore *ks, enum pki_key_alg alg, int online,
	       const char *pkcs11_uri, const char *label, char **key_uri,
	       gnutls_privkey_t *priv, struct pki_error *err)
{
	gnutls_x509_privkey_t x = NULL;
	gnutls_privkey_t p = NULL;
	char *uri = NULL, sh[URI_SHOWN];
	int ret, rc = PKI_E_FAIL;

	*key_uri = NULL;
	*priv = NULL;
	if (label == NULL)
		label = "new key";
	if (!alg_valid(alg)) {
		rc = pki_error_set(err, PKI_E_UNSUPPORTED, "unknown key "
				   "algorithm %d", (int)alg);
		goto out;
	}
	if (pkcs11_uri != NULL) {
		if (strncmp(pkcs11_uri, URI_PKCS11, strlen(URI_PKCS11)) != 0) {
			rc = pki_error_set(err, PKI_E_PARSE, "'%s' is not a "
					   "pkcs11: URI",
					   shown(pkcs11_uri, sh, sizeof(sh)));
			goto out;
		}
		rc = p11_create(ks, alg, pkcs11_uri, key_uri, priv, err);
		goto out;
	}
	if ((rc = pki_key_generate(alg, &x, err)) != PKI_OK)
		goto out;
	if ((rc = seal_x509(ks, x, online, label, &uri, err)) != PKI_OK)
		goto out;
	if ((ret = gnutls_privkey_init(&p)) < 0 ||
	    (ret = gnutls_privkey_import_x509(p, x,
			GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE)) < 0) {
		rc = pki__gnutls_error(err, ret, "gnutls_privkey_import_x509");
		goto out;
	}
	x = NULL;
	*key_uri = uri;
	uri = NULL;
	*priv = p;
	p = NULL;
	rc = PKI_OK;
out:
	free(uri);
	if (p != NULL)
		gnutls_privkey_deinit(p);
	if (x != NULL)
		gnutls_x509_privkey_deinit(x);
	return rc;
}

int
pki_key_load(struct pki_keystore *ks, const char *key_uri,
	     enum pki_key_alg expected_alg, const char *label,
	     gnutls_privkey_t *priv, struct pki_error *err)
{
	int grc, rc = PKI_E_FAIL;

	*priv = NULL;
	if (label == NULL)
		label = key_uri;
	if (!alg_valid(expected_alg)) {
		rc = pki_error_set(err, PKI_E_UNSUPPORTED, "unknown key "
				   "algorithm %d", (int)expected_alg);
		goto out;
	}
	if (key_uri == NULL) {
		rc = pki_error_set(err, PKI_E_INVALID, "no key URI given");
		goto out;
	}
	if (strncmp(key_uri, URI_PKCS11, strlen(URI_PKCS11)) == 0) {
		if ((rc = p11_setup(ks, err)) != PKI_OK)
			goto out;
		rc = p11_import(ks, key_uri, (int)expected_alg, priv, &grc, err);
		goto out;
	}
	rc = load_lockbox(ks, key_uri, expected_alg, label, priv, err);
out:
	return rc;
}

int
pki_key_import(struct pki_keystore *ks, gnutls_x509_privkey_t key,
	       int online, const char *label, char **key_uri,
	       struct pki_error *err)
{
	*key_uri = NULL;
	if (label == NULL)
		label = "imported key";
	return seal_x509(ks, key, online, label, key_uri, err);
}

int
pki_key_discard(struct pki_keystore *ks, const char *key_uri,
		struct pki_error *err)
{
	char id[KEY_ID_HEX + 1], path[PATH_MAX], sh[URI_SHOWN];
	size_t i;
	int online, rc = PKI_E_FAIL;

	if (ks == NULL || key_uri == NULL) {
		rc = pki_error_set(err, PKI_E_INVALID, "pki_key_discard: no "
				   "key store or key URI given");
		goto out;
	}
	if (strncmp(key_uri, URI_PKCS11, strlen(URI_PKCS11)) == 0) {
		rc = PKI_OK;
		goto out;
	}
	if (parse_lockbox_uri(key_uri, id, &online) != 0) {
		rc = pki_error_set(err, PKI_E_PARSE, "malformed key URI '%s': "
				   "expected lockbox:<64 hex digits>[%s]",
				   shown(key_uri, sh, sizeof(sh)), URI_ONLINE);
		goto out;
	}
	for (i = 0; i < ks->nsealed; i++)
		if (strcmp(ks->sealed[i], id) == 0)
			break;
	if (i == ks->nsealed) {
		rc = pki_error_set(err, PKI_E_INVALID, "refusing to delete key "
				   "%s: it was not sealed through this key "
				   "store, so it may be a CA's key in use", id);
		goto out;
	}
	if ((rc = lockbox_path(ks, id, path, sizeof(path), err)) != PKI_OK)
		goto out;
	if (unlink(path) != 0 && errno != ENOENT) {
		rc = pki_error_set(err, PKI_E_IO, "cannot delete %s: %s", path,
				   strerror(errno));
		goto out;
	}
	rc = PKI_OK;
out:
	return rc;
}
