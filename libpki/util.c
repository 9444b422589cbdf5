/* util: files, hex, time and other small helpers shared by modules. */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <libtasn1.h>
#include <pthread.h>

#include "util.h"

void
pki_memzero(void *p, size_t n)
{
	if (p == NULL || n == 0)
		return;
#ifdef HAVE_EXPLICIT_BZERO
	explicit_bzero(p, n);
#else
	volatile unsigned char *v = p;
	while (n--)
		*v++ = 0;
#endif
}

int
pki_file_read(const char *path, size_t max, gnutls_datum_t *out,
	       struct pki_error *err)
{
	int fd = -1, rc = PKI_E_IO;
	unsigned char *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;

	out->data = NULL;
	out->size = 0;
	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = pki_error_set(err, errno == ENOENT ? PKI_E_NOTFOUND : PKI_E_IO,
				   "cannot open %s: %s", path, strerror(errno));
		goto out;
	}
	for (;;) {
		if (len + 1 >= cap) {
			size_t ncap = cap ? cap * 2 : 4096;
			unsigned char *nb;

			if (ncap > max + 2)
				ncap = max + 2;
			if (ncap <= len + 1) {
				rc = pki_error_set(err, PKI_E_INVALID,
						   "%s: larger than %zu bytes",
						   path, max);
				goto out;
			}
			/* Grow by copying so that no stale copy of what was
			 * read (a PKCS#12 file, a key) is left in the heap. */
			if ((nb = gnutls_malloc(ncap)) == NULL) {
				rc = pki_error_set(err, PKI_E_NOMEM,
						   "out of memory reading %s", path);
				goto out;
			}
			if (buf != NULL) {
				memcpy(nb, buf, len);
				pki_memzero(buf, cap);
				gnutls_free(buf);
			}
			buf = nb;
			cap = ncap;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = pki_error_set(err, PKI_E_IO, "cannot read %s: %s",
					   path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			rc = pki_error_set(err, PKI_E_INVALID,
					   "%s: larger than %zu bytes", path, max);
			goto out;
		}
	}
	if (buf == NULL && (buf = gnutls_malloc(1)) == NULL) {
		rc = pki_error_set(err, PKI_E_NOMEM, "out of memory");
		goto out;
	}
	buf[len] = '\0';
	out->data = buf;
	out->size = (unsigned)len;
	buf = NULL;
	rc = PKI_OK;
out:
	if (fd > STDIN_FILENO)
		close(fd);
	if (buf != NULL)
		pki_memzero(buf, cap);
	gnutls_free(buf);
	return rc;
}

static int
fsync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, rc;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int
pki__file_stage(const char *path, const void *data, size_t len, char *tmp,
		size_t tmplen, struct pki_error *err)
{
	const unsigned char *p = data;
	int fd = -1, rc = PKI_E_IO;
	size_t off = 0;

	/* An unpredictable temporary name (mkstemp: O_EXCL, mode 0600). */
	if ((size_t)snprintf(tmp, tmplen, "%s.tmp.XXXXXX", path) >= tmplen) {
		tmp[0] = '\0';
		return pki_error_set(err, PKI_E_INVALID, "path too long: %s", path);
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = pki_error_set(err, PKI_E_IO, "cannot create a temporary "
				   "file beside %s: %s", path, strerror(errno));
		tmp[0] = '\0';     /* nothing of ours to remove */
		goto out;
	}
	while (off < len) {
		ssize_t n = write(fd, p + off, len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = pki_error_set(err, PKI_E_IO, "cannot write %s: %s",
					   tmp, strerror(errno));
			goto out;
		}
		off += (size_t)n;
	}
	if (fsync(fd) != 0) {
		rc = pki_error_set(err, PKI_E_IO, "cannot sync %s: %s", tmp,
				   strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		rc = pki_error_set(err, PKI_E_IO, "cannot close %s: %s", tmp,
				   strerror(errno));
		goto out;
	}
	fd = -1;
	rc = PKI_OK;
out:
	if (fd >= 0)
		close(fd);
	if (rc != PKI_OK && tmp[0] != '\0') {
		unlink(tmp);
		tmp[0] = '\0';
	}
	return rc;
}

int
pki__file_publish(char *tmp, const char *path, unsigned mode, int exclusive,
		  struct pki_error *err)
{
	int rc = PKI_E_IO;

	/* The file's own mode only now that it is complete: a reader of the
	 * directory never sees a partial one it may open. */
	if (chmod(tmp, mode & 07777) != 0) {
		rc = pki_error_set(err, PKI_E_IO, "cannot set the mode of %s: "
				   "%s", tmp, strerror(errno));
		goto out;
	}
	if (exclusive) {
		/* link() fails if path appeared meanwhile: no overwrite race. */
		if (link(tmp, path) != 0) {
			rc = pki_error_set(err, errno == EEXIST ? PKI_E_EXISTS : PKI_E_IO,
					   "cannot create %s: %s", path,
					   strerror(errno));
			goto out;
		}
		unlink(tmp);
	} else if (rename(tmp, path) != 0) {
		rc = pki_error_set(err, PKI_E_IO, "cannot rename %s to %s: %s",
				   tmp, path, strerror(errno));
		goto out;
	}
	tmp[0] = '\0';
	if (fsync_dir_of(path) != 0) {
		rc = pki_error_set(err, PKI_E_IO, "cannot sync directory of %s: %s",
				   path, strerror(errno));
		goto out;
	}
	rc = PKI_OK;
out:
	if (tmp[0] != '\0') {
		unlink(tmp);
		tmp[0] = '\0';
	}
	return rc;
}

int
pki_file_write(const char *path, const void *data, size_t len, unsigned mode,
		int exclusive, struct pki_error *err)
{
	char tmp[PATH_MAX];
	int rc;

	if (exclusive && access(path, F_OK) == 0)
		return pki_error_set(err, PKI_E_EXISTS, "%s already exists; "
				     "refusing to overwrite it", path);
	if ((rc = pki__file_stage(path, data, len, tmp, sizeof(tmp),
				  err)) != PKI_OK)
		return rc;
	return pki__file_publish(tmp, path, mode, exclusive, err);
}

/* 1 if name is "<base>.tmp.XXXXXX" (any base when base is NULL), the
 * name pki__file_stage gives a temporary file. */
static int
is_tmp_name(const char *name, const char *base)
{
	size_t n = strlen(name), i;

	if (n < 11 || (base != NULL && (strncmp(name, base, strlen(base)) != 0 ||
					n != strlen(base) + 11)))
		return 0;
	if (memcmp(name + n - 11, ".tmp.", 5) != 0)
		return 0;
	for (i = n - 6; i < n; i++)
		if (!((name[i] >= '0' && name[i] <= '9') ||
		      (name[i] >= 'a' && name[i] <= 'z') ||
		      (name[i] >= 'A' && name[i] <= 'Z')))
			return 0;
	return 1;
}

int
pki__file_tmp_clean(const char *dir, const char *const *bases, size_t nbases,
		    struct pki_error *err)
{
	DIR *d;
	struct dirent *e;
	char p[PATH_MAX];
	struct stat st;
	size_t i;
	int n = 0;

	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 :
		       -pki_error_set(err, PKI_E_IO, "cannot read %s: %s", dir,
				      strerror(errno));
	while ((e = readdir(d)) != NULL) {
		for (i = 0; i < nbases; i++)
			if (is_tmp_name(e->d_name, bases[i]))
				break;
		if (nbases > 0 ? i == nbases : !is_tmp_name(e->d_name, NULL))
			continue;
		if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir, e->d_name) >=
		    sizeof(p) || lstat(p, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (unlink(p) == 0)
			n++;
	}
	closedir(d);
	return n;
}

int
pki__mkdirs(const char *path, unsigned mode, struct pki_error *err)
{
	char buf[PATH_MAX];
	size_t i, len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return pki_error_set(err, PKI_E_INVALID, "bad directory path '%s'",
				     path);
	memcpy(buf, path, len + 1);
	for (i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, mode) != 0 && errno != EEXIST)
			return pki_error_set(err, PKI_E_IO, "cannot create %s: %s",
					     buf, strerror(errno));
		buf[i] = path[i];
	}
	return PKI_OK;
}

void
pki__hex(const unsigned char *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

size_t
pki__utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

int
pki__hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long
pki__unhex(const char *in, unsigned char *out, size_t outmax)
{
	size_t n = 0;
	int hi = -1;

	for (; *in != '\0'; in++) {
		int v;

		if (*in == ':')  {
			if (hi >= 0)
				return -1;
			continue;
		}
		if ((v = pki__hexval((unsigned char)*in)) < 0)
			return -1;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n >= outmax)
			return -1;
		out[n++] = (unsigned char)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0)
		return -1;
	return (long)n;
}

int64_t
pki__days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

int
pki_time_parse(const char *s, int64_t *t)
{
	int y, mo, d, h, mi, sec, n = 0;
	char *end;
	long long v;

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &sec,
		   &n) == 6 && s[n] == '\0') {
		if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
		    sec > 60)
			return -1;
		*t = pki__days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
		     h * 3600 + mi * 60 + sec;
		return 0;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		return -1;
	*t = v;
	return 0;
}

int
pki__gnutls_error(struct pki_error *err, int gnutls_rc, const char *what)
{
	int code = PKI_E_CRYPTO;

	if (gnutls_rc == GNUTLS_E_MEMORY_ERROR)
		code = PKI_E_NOMEM;
	return pki_error_set(err, code, "%s: %s", what,
			     gnutls_strerror(gnutls_rc));
}

char *
pki__strdup(const char *s)
{
	return s == NULL ? NULL : strdup(s);
}

int
pki__random(void *buf, size_t len, struct pki_error *err)
{
	int ret = gnutls_rnd(GNUTLS_RND_KEY, buf, len);

	if (ret < 0)
		return pki__gnutls_error(err, ret, "gnutls_rnd");
	return PKI_OK;
}

extern const asn1_static_node pki__pkix_asn1_tab[];

static pthread_once_t asn1_once = PTHREAD_ONCE_INIT;
static asn1_node asn1_defs;
static int asn1_defs_rc;
static char asn1_defs_msg[ASN1_MAX_ERROR_DESCRIPTION_SIZE];

static void
asn1_defs_init(void)
{
	asn1_defs_rc = asn1_array2tree(pki__pkix_asn1_tab, &asn1_defs,
				       asn1_defs_msg);
}

int
pki__asn1_defs(asn1_node *defs, struct pki_error *err)
{
	pthread_once(&asn1_once, asn1_defs_init);
	if (asn1_defs_rc != ASN1_SUCCESS)
		return pki_error_set(err, PKI_E_FAIL, "asn1_array2tree: %s: %s",
				     asn1_strerror(asn1_defs_rc), asn1_defs_msg);
	*defs = asn1_defs;
	return PKI_OK;
}

const char *
pki__quote(const char *s, size_t slen, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < slen; i++) {
		unsigned char c = (unsigned char)s[i];

		if (o + 8 >= len) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		} else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return buf;
}

int
pki__is_pem(const gnutls_datum_t *in)
{
	static const char tag[] = "-----BEGIN ";
	size_t i;

	for (i = 0; i + sizeof(tag) - 1 <= in->size; i++)
		if (memcmp(in->data + i, tag, sizeof(tag) - 1) == 0)
			return 1;
	return 0;
}

int
pki__dn_unescape(char *s)
{
	char *o = s;

	if (s[0] == '#')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s == '\\' && s[1] != '\0')
			s++;
		*o++ = *s;
	}
	*o = '\0';
	return 0;
}

const char *
pki__text_defect(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, k;

	for (; *p != '\0'; p += n) {
		if (*p < 0x20 || *p == 0x7f)
			return "a control character";
		if (*p < 0x80) {
			n = 1;
			continue;
		}
		n = *p >= 0xc2 && *p <= 0xdf ? 2 : *p >= 0xe0 && *p <= 0xef ?
		    3 : *p >= 0xf0 && *p <= 0xf4 ? 4 : 0;
		if (n == 0)
			return "bytes that are not UTF-8";
		for (k = 1; k < n; k++)
			if ((p[k] & 0xc0) != 0x80)
				return "bytes that are not UTF-8";
		if ((p[0] == 0xe0 && p[1] < 0xa0) ||
		    (p[0] == 0xed && p[1] >= 0xa0) ||
		    (p[0] == 0xf0 && p[1] < 0x90) ||
		    (p[0] == 0xf4 && p[1] >= 0x90))
			return "bytes that are not UTF-8";
		if (p[0] == 0xc2 && p[1] <= 0x9f)
			return "a control character";
	}
	return NULL;
}

int
pki__asn1_decode(const char *type, const gnutls_datum_t *der, asn1_node *out,
		 struct pki_error *err)
{
	char errbuf[ASN1_MAX_ERROR_DESCRIPTION_SIZE] = "";
	asn1_node node = NULL, defs;
	int ret, len;

	*out = NULL;
	if ((ret = pki__asn1_defs(&defs, err)) != PKI_OK)
		return ret;
	if (der->size > INT32_MAX)
		return pki_error_set(err, PKI_E_PARSE, "%s too large", type);
	if ((ret = asn1_create_element(defs, type, &node)) != ASN1_SUCCESS)
		return pki_error_set(err, PKI_E_NOMEM, "asn1_create_element(%s): %s",
				     type, asn1_strerror(ret));
	len = (int)der->size;
	ret = asn1_der_decoding2(&node, der->data, &len,
				 ASN1_DECODE_FLAG_STRICT_DER, errbuf);
	if (ret != ASN1_SUCCESS || len != (int)der->size) {
		asn1_delete_structure(&node);
		return pki_error_set(err, PKI_E_PARSE, "%s is not strict DER: %s",
				     type, ret != ASN1_SUCCESS ? errbuf :
				     "trailing bytes");
	}
	*out = node;
	return PKI_OK;
}
