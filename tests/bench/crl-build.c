/*
 * crl-build: time and peak memory of pki_crl_build() for large CRLs, and
 * of `openssl ca -gencrl` on an index.txt with the same revoked serials,
 * in the same run.
 *
 *   tests/bench/crl-build [N ...]      (default: 100000 1000000)
 *
 * Each measurement runs in its own child process, so its peak RSS
 * (getrusage/wait4 ru_maxrss) is its own.  The issuer is a P-256 CA made
 * here; entries have 16-octet serials, a reason code on 4 out of 5 and an
 * invalidity date on every keyCompromise (1 in 5).  Also measured:
 * pki_crl_parse_take() plus a walk over every entry (what `spork crl show`
 * does).  Set SPORK_BENCH_KEEP=1 to keep the work directory.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <gnutls/abstract.h>

#include <spork/crl.h>
#include "crl-int.h"
#include "util.h"

static char workdir[PATH_MAX];
static int64_t now;

struct gen {
	size_t i, n;
	unsigned char serial[16];
};

static uint64_t
mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Entry i: a unique 16-octet serial (index in the last 4 octets). */
static void
serial_of(size_t i, unsigned char s[16])
{
	uint64_t r = mix(i);
	int k;

	for (k = 0; k < 8; k++)
		s[k] = (unsigned char)(r >> (8 * k));
	s[0] &= 0x7f;
	s[0] |= 0x40;
	memset(s + 8, 0, 4);
	s[12] = (unsigned char)(i >> 24);
	s[13] = (unsigned char)(i >> 16);
	s[14] = (unsigned char)(i >> 8);
	s[15] = (unsigned char)i;
}

static const int reasons[5] = { 1, 4, 5, 3, -1 };

static int
gen_next(void *ctx, struct pki_crl_entry *e)
{
	struct gen *g = ctx;

	if (g->i >= g->n)
		return 0;
	serial_of(g->i, g->serial);
	e->serial = g->serial;
	e->serial_len = sizeof(g->serial);
	e->revocation_time = now - 86400 - (int64_t)(g->i % 31536000);
	e->reason = reasons[g->i % 5];
	e->invalidity_date = e->reason == 1 ? e->revocation_time - 3600 : 0;
	e->remove_from_crl = 0;
	g->i++;
	return 1;
}

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what, int rc)
{
	fprintf(stderr, "crl-build: %s failed (%d)\n", what, rc);
	exit(1);
}

static void
make_ca(gnutls_x509_privkey_t *xkey, gnutls_privkey_t *key,
	gnutls_x509_crt_t *crt)
{
	static const unsigned char serial[] = { 1 };
	gnutls_pubkey_t pub;
	unsigned char kid[64];
	size_t kl = sizeof(kid);
	int r;

	if ((r = gnutls_x509_privkey_init(xkey)) < 0 ||
	    (r = gnutls_x509_privkey_generate2(*xkey, GNUTLS_PK_ECDSA,
			GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0,
			NULL, 0)) < 0 ||
	    (r = gnutls_privkey_init(key)) < 0 ||
	    (r = gnutls_privkey_import_x509(*key, *xkey, 0)) < 0 ||
	    (r = gnutls_pubkey_init(&pub)) < 0 ||
	    (r = gnutls_pubkey_import_privkey(pub, *key, 0, 0)) < 0 ||
	    (r = gnutls_x509_crt_init(crt)) < 0 ||
	    (r = gnutls_x509_crt_set_version(*crt, 3)) < 0 ||
	    (r = gnutls_x509_crt_set_serial(*crt, serial, 1)) < 0 ||
	    (r = gnutls_x509_crt_set_dn(*crt, "CN=Bench CA,O=spork", NULL)) < 0 ||
	    (r = gnutls_x509_crt_set_activation_time(*crt, (time_t)(now - 86400 * 400))) < 0 ||
	    (r = gnutls_x509_crt_set_expiration_time(*crt, (time_t)(now + 86400 * 400))) < 0 ||
	    (r = gnutls_x509_crt_set_pubkey(*crt, pub)) < 0 ||
	    (r = gnutls_pubkey_get_key_id(pub, GNUTLS_KEYID_USE_SHA1, kid, &kl)) < 0 ||
	    (r = gnutls_x509_crt_set_subject_key_id(*crt, kid, kl)) < 0 ||
	    (r = gnutls_x509_crt_set_basic_constraints(*crt, 1, -1)) < 0 ||
	    (r = gnutls_x509_crt_set_key_usage(*crt, GNUTLS_KEY_KEY_CERT_SIGN |
					       GNUTLS_KEY_CRL_SIGN)) < 0 ||
	    (r = gnutls_x509_crt_privkey_sign(*crt, *crt, *key,
					      GNUTLS_DIG_SHA256, 0)) < 0)
		die(gnutls_strerror(r), r);
	gnutls_pubkey_deinit(pub);
}

/* Plain write, no fsync: openssl ca does not sync either. */
static void
write_file(const char *name, const void *data, size_t len)
{
	char path[PATH_MAX * 2];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", workdir, name);
	if ((f = fopen(path, "w")) == NULL || fchmod(fileno(f), 0600) != 0 ||
	    fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "crl-build: cannot write %s\n", path);
		exit(1);
	}
}

/* A measurement: wall time and the child's peak RSS in KiB. */
struct fig {
	double secs, cpu;
	long rss_kib;
	int ok;
};

/* Run fn(arg) in a child; the child's exit status says whether it worked. */
static struct fig
measure(int (*fn)(void *), void *arg)
{
	struct fig f = { 0, 0, 0, 0 };
	struct rusage ru;
	double t0 = mono();
	pid_t pid;
	int st;

	fflush(NULL);
	if ((pid = fork()) < 0)
		die("fork", errno);
	if (pid == 0)
		_exit(fn(arg) == 0 ? 0 : 1);
	if (wait4(pid, &st, 0, &ru) != pid)
		die("wait4", errno);
	f.secs = mono() - t0;
	f.cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		(double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	f.rss_kib = ru.ru_maxrss;
	f.ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
	return f;
}

struct job {
	size_t n;
	gnutls_x509_crt_t crt;
	gnutls_privkey_t key;
	char file[64];
};

static int
job_build(void *arg)
{
	struct job *j = arg;
	struct pki_crl_params p;
	struct pki_error err;
	struct gen g = { 0, j->n, { 0 } };
	gnutls_datum_t der;
	int rc;

	memset(&p, 0, sizeof(p));
	p.this_update = now;
	p.next_update = now + 7 * 86400;
	p.crl_number = 42;
	p.idp_url = "http://crl.example.test/bench.crl";
	rc = pki_crl_build(&p, gen_next, &g, j->crt, j->key, &der, &err);
	if (rc != PKI_OK) {
		fprintf(stderr, "crl-build: %s\n", err.msg);
		return 1;
	}
	write_file(j->file, der.data, der.size);
	gnutls_free(der.data);
	return 0;
}

static int
job_parse(void *arg)
{
	struct job *j = arg;
	char path[PATH_MAX * 2];
	struct pki_error err;
	struct pki_crl *crl = NULL;
	struct pki_crl_entry e;
	gnutls_datum_t d;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/%s", workdir, j->file);
	if (pki_file_read(path, PKI_CRL_MAX_SIZE, &d, &err) != PKI_OK ||
	    pki_crl_parse_take(&d, &crl, &err) != PKI_OK) {
		fprintf(stderr, "crl-build: %s\n", err.msg);
		return 1;
	}
	while (pki_crl_entry_next(crl, &e) == 1)
		n++;
	if (n != j->n || crl->entry_count != j->n ||
	    pki_crl_verify(crl, j->crt, &err) != PKI_OK) {
		fprintf(stderr, "crl-build: read back %zu of %zu entries: %s\n",
			n, j->n, err.msg);
		return 1;
	}
	pki_crl_free(crl);
	return 0;
}

static int
job_openssl(void *arg)
{
	(void)arg;
	if (chdir(workdir) != 0)
		return 1;
	if (freopen("/dev/null", "w", stdout) == NULL ||
	    freopen("openssl.log", "w", stderr) == NULL)
		return 1;
	execlp("openssl", "openssl", "ca", "-batch", "-config", "openssl.cnf",
	       "-gencrl", "-out", "openssl.crl", (char *)NULL);
	_exit(127);
}

static void
openssl_setup(size_t n, gnutls_x509_privkey_t xkey, gnutls_x509_crt_t crt)
{
	static const char cnf[] =
		"[ ca ]\ndefault_ca = bench\n"
		"[ bench ]\ndir = .\ndatabase = ./index.txt\n"
		"certificate = ./ca.pem\nprivate_key = ./ca.key\n"
		"crlnumber = ./crlnumber\ndefault_md = sha256\n"
		"default_crl_days = 7\nunique_subject = no\n"
		"crl_extensions = crl_ext\n"
		"[ crl_ext ]\nauthorityKeyIdentifier = keyid:always\n"
		"issuingDistributionPoint = critical,@idp\n"
		"[ idp ]\nfullname = URI:http://crl.example.test/bench.crl\n";
	static const char *const names[6] = {
		"keyCompromise", "superseded", "cessationOfOperation",
		"affiliationChanged", NULL, NULL };
	char path[PATH_MAX * 2], rt[16], it[16], hex[33];
	unsigned char s[16];
	gnutls_datum_t pem;
	struct tm tm;
	time_t t;
	FILE *f;
	size_t i;
	int r;

	write_file("openssl.cnf", cnf, sizeof(cnf) - 1);
	write_file("crlnumber", "2A\n", 3);
	if ((r = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &pem)) < 0)
		die("gnutls_x509_crt_export2", r);
	write_file("ca.pem", pem.data, pem.size);
	gnutls_free(pem.data);
	if ((r = gnutls_x509_privkey_export2(xkey, GNUTLS_X509_FMT_PEM, &pem)) < 0)
		die("gnutls_x509_privkey_export2", r);
	write_file("ca.key", pem.data, pem.size);
	pki_memzero(pem.data, pem.size);
	gnutls_free(pem.data);

	snprintf(path, sizeof(path), "%s/index.txt", workdir);
	if ((f = fopen(path, "w")) == NULL)
		die("fopen index.txt", errno);
	t = (time_t)(now + 86400 * 365);
	gmtime_r(&t, &tm);
	strftime(it, sizeof(it), "%Y%m%d%H%M%SZ", &tm);
	for (i = 0; i < n; i++) {
		int64_t rev = now - 86400 - (int64_t)(i % 31536000);
		const char *reason = names[i % 5];

		t = (time_t)rev;
		gmtime_r(&t, &tm);
		strftime(rt, sizeof(rt), "%Y%m%d%H%M%SZ", &tm);
		serial_of(i, s);
		pki__hex(s, sizeof(s), hex);
		/* openssl's index keeps UTCTime: drop the century. */
		if (i % 5 == 0) {
			char inv[16];

			t = (time_t)(rev - 3600);
			gmtime_r(&t, &tm);
			strftime(inv, sizeof(inv), "%Y%m%d%H%M%SZ", &tm);
			fprintf(f, "R\t%s\t%s,%s,%s\t%s\tunknown\t/CN=leaf%zu\n",
				it + 2, rt + 2, reason, inv, hex, i);
		} else if (reason != NULL)
			fprintf(f, "R\t%s\t%s,%s\t%s\tunknown\t/CN=leaf%zu\n",
				it + 2, rt + 2, reason, hex, i);
		else
			fprintf(f, "R\t%s\t%s\t%s\tunknown\t/CN=leaf%zu\n",
				it + 2, rt + 2, hex, i);
	}
	if (fclose(f) != 0)
		die("fclose index.txt", errno);
}

static int
have_openssl(void)
{
	return system("openssl version >/dev/null 2>&1") == 0;
}

static void
rm_work(void)
{
	static const char *const files[] = {
		"openssl.cnf", "crlnumber", "crlnumber.old", "ca.pem", "ca.key",
		"index.txt", "index.txt.attr", "openssl.crl", "openssl.log",
		"spork.crl", NULL };
	char path[PATH_MAX * 2];
	int i;

	for (i = 0; files[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/%s", workdir, files[i]);
		unlink(path);
	}
	rmdir(workdir);
}

int
main(int argc, char **argv)
{
	static const size_t defaults[] = { 100000, 1000000 };
	gnutls_x509_privkey_t xkey;
	gnutls_x509_crt_t crt;
	gnutls_privkey_t key;
	const char *tmp = getenv("TMPDIR");
	size_t sizes[16], nsizes = 0, i;
	int ossl = have_openssl();

	now = (int64_t)time(NULL);
	for (i = 1; i < (size_t)argc && nsizes < 16; i++) {
		char *end;
		unsigned long long v = strtoull(argv[i], &end, 10);

		if (*end != '\0' || v == 0 || v > 100000000ULL) {
			fprintf(stderr, "usage: %s [ENTRIES ...]\n", argv[0]);
			return 2;
		}
		sizes[nsizes++] = (size_t)v;
	}
	if (nsizes == 0) {
		memcpy(sizes, defaults, sizeof(defaults));
		nsizes = 2;
	}
	snprintf(workdir, sizeof(workdir), "%s/crl-bench.XXXXXX",
		 tmp ? tmp : "/tmp");
	if (mkdtemp(workdir) == NULL)
		die("mkdtemp", errno);
	make_ca(&xkey, &key, &crt);

	printf("CRL build benchmark: P-256 issuer, 16-octet serials, 80%% "
	       "with a reason code, 20%% with an invalidity date, IDP.\n"
	       "Each row is one child process: wall time, CPU time (user+sys) "
	       "and peak RSS.\n");
	printf("%9s  %-21s %8s %8s %10s %11s\n", "entries", "what", "wall s",
	       "cpu s", "peak RSS", "CRL bytes");
	for (i = 0; i < nsizes; i++) {
		struct job j = { sizes[i], crt, key, "spork.crl" };
		struct fig b, p, o;
		struct stat st;
		char path[PATH_MAX * 2];
		long long sz = -1, osz = -1;

		b = measure(job_build, &j);
		snprintf(path, sizeof(path), "%s/spork.crl", workdir);
		if (stat(path, &st) == 0)
			sz = (long long)st.st_size;
		printf("%9zu  %-21s %8.3f %8.3f %7.1f MB %11lld%s\n", j.n,
		       "pki_crl_build", b.secs, b.cpu, (double)b.rss_kib / 1024,
		       sz, b.ok ? " (DER)" : "  FAILED");
		p = measure(job_parse, &j);
		printf("%9zu  %-21s %8.3f %8.3f %7.1f MB %11s%s\n", j.n,
		       "pki_crl_parse + walk", p.secs, p.cpu,
		       (double)p.rss_kib / 1024, "", p.ok ? "" : "  FAILED");
		if (ossl) {
			openssl_setup(j.n, xkey, crt);
			o = measure(job_openssl, NULL);
			snprintf(path, sizeof(path), "%s/openssl.crl", workdir);
			if (stat(path, &st) == 0)
				osz = (long long)st.st_size;
			printf("%9zu  %-21s %8.3f %8.3f %7.1f MB %11lld%s\n", j.n,
			       "openssl ca -gencrl", o.secs, o.cpu,
			       (double)o.rss_kib / 1024, osz,
			       o.ok ? " (PEM)" : "  FAILED");
			if (b.ok && o.ok && b.secs > 0 && b.cpu > 0 &&
			    b.rss_kib > 0)
				printf("%9zu  %-21s %7.1fx %7.1fx %8.1fx\n", j.n,
				       "openssl / spork", o.secs / b.secs,
				       o.cpu / b.cpu,
				       (double)o.rss_kib / (double)b.rss_kib);
		}
		fflush(stdout);
	}
	if (!ossl)
		printf("openssl not found: no comparison\n");
	gnutls_x509_crt_deinit(crt);
	gnutls_privkey_deinit(key);
	gnutls_x509_privkey_deinit(xkey);
	if (getenv("SPORK_BENCH_KEEP") == NULL)
		rm_work();
	else
		printf("work directory kept: %s\n", workdir);
	return 0;
}
