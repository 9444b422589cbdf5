/* runtime: sockets, limits, framing and logging around pki_serve
 * (runtime.h). */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <gnutls/gnutls.h>
#include <spork/config.h>
#include <spork/forwarded.h>
#include <spork/http.h>
#include <spork/metrics.h>
#include <spork/process.h>
#include <spork/state.h>
#include <spork/tls.h>

#include "runtime.h"

/* Limits of one connection when spork.toml's [http] does not set them. */
#define MAX_REQUESTS 100        /* per connection */
#define IDLE_MS 10000           /* waiting for the next bytes */
#define TOTAL_MS 60000          /* the whole connection */
#define PATH_LOG_MAX 64         /* bytes of a path that go into the log */

struct conn {
	int in, out;
	int64_t deadline;       /* CLOCK_MONOTONIC ms */
	int64_t idle_ms;
	unsigned max_requests;
	struct pki_http_limits limits;
	int timed_out;
	int write_failed;
	gnutls_session_t tls;   /* NULL: plain HTTP */
	struct pki_metrics *metrics;
	int closed;             /* linger_close done */
	char peer[INET6_ADDRSTRLEN + 8];
	struct pki_name_ip peer_ip;
	int peer_has_ip;        /* a TCP peer (not a Unix socket) */
	const struct pki_name_cidr *proxies; /* [http] trusted_proxies */
	size_t nproxies;
	char client[PKI_NAME_IP_STRLEN]; /* this request's client (logged) */
	int forwarded;          /* client came from a proxy's header */
	gnutls_datum_t cert;    /* the TLS client's certificate, DER */
	char *subject;          /* its subject; NULL: none */
	const char *name;
};

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t
now_ms(void)
{
	return now_us() / 1000;
}

/* Wait for fd to become ready for events, within the idle time and the
 * connection's deadline; 0 ready, -1 timed out or failed. */
static int
wait_fd(struct conn *c, int fd, short events)
{
	struct pollfd p = { fd, events, 0 };
	int64_t left;
	int r;

	for (;;) {
		left = c->deadline - now_ms();
		if (left <= 0)
			break;
		r = poll(&p, 1, (int)(left < c->idle_ms ? left : c->idle_ms));
		if (r > 0)
			return 0;
		if (r == 0)
			break;
		if (errno != EINTR)
			return -1;
	}
	c->timed_out = 1;
	errno = ETIMEDOUT;
	return -1;
}

static ssize_t
tls_read(struct conn *c, void *buf, size_t n)
{
	ssize_t k;

	for (;;) {
		if (gnutls_record_check_pending(c->tls) == 0 &&
		    wait_fd(c, c->in, POLLIN) != 0)
			return -1;
		k = gnutls_record_recv(c->tls, buf, n);
		if (k >= 0)
			return k;
		if (k != GNUTLS_E_AGAIN && k != GNUTLS_E_INTERRUPTED)
			break;
	}
	/* a client that just closes the TCP connection ends it, too */
	if (k == GNUTLS_E_PREMATURE_TERMINATION)
		return 0;
	errno = EIO;
	return -1;
}

static ssize_t
conn_read(void *ctx, void *buf, size_t n)
{
	struct conn *c = ctx;
	ssize_t k;

	if (c->tls != NULL)
		return tls_read(c, buf, n);
	do {
		if (wait_fd(c, c->in, POLLIN) != 0)
			return -1;
		k = read(c->in, buf, n);
	} while (k < 0 && (errno == EINTR || errno == EAGAIN));
	return k;
}

static int
write_all(struct conn *c, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	ssize_t k;

	while (len > 0 && !c->write_failed) {
		if (wait_fd(c, c->out, POLLOUT) != 0) {
			c->write_failed = 1;
			break;
		}
		if (c->tls != NULL) {
			k = gnutls_record_send(c->tls, p, len);
			if (k == GNUTLS_E_AGAIN || k == GNUTLS_E_INTERRUPTED)
				continue;
		} else {
			k = write(c->out, p, len);
			if (k < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
		}
		if (k <= 0) {
			c->write_failed = 1;
			break;
		}
		p += k;
		len -= (size_t)k;
	}
	return c->write_failed ? -1 : 0;
}

static void
send_continue(void *ctx)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

	(void)write_all(ctx, cont, sizeof(cont) - 1);
}

/* Hold (on) or send (off) partial TCP segments of the answer; under
 * TLS too, the records of head and body share segments. */
static void
cork(struct conn *c, int on)
{
	(void)setsockopt(c->out, IPPROTO_TCP, TCP_CORK, &on, sizeof(on));
}

/* Write the response; the body only when with_body. */
static int
send_response(struct conn *c, const struct pki_response *r, int with_body,
	      int keep_alive)
{
	char head[4096];
	size_t len;
	struct pki_error err;
	int rc;

	if (pki_http_response_head(head, sizeof(head), r->status,
				   (const char *const *)r->headers,
				   r->nheaders, r->body_len, keep_alive, &len,
				   &err) != PKI_OK)
		return -1;
	/* head and body leave in full segments: written apart, Nagle held
	 * the body back until the client's delayed ACK of the head, 40 ms
	 * per answer on a kept connection (not a TCP socket: no-op) */
	cork(c, 1);
	rc = write_all(c, head, len);
	if (rc == 0 && with_body && r->body_len > 0)
		rc = write_all(c, r->body, r->body_len);
	cork(c, 0);
	return rc;
}

/* A short answer to a request that could not be read. */
static void
send_error(struct conn *c, int status)
{
	struct pki_response r;
	char text[64];

	memset(&r, 0, sizeof(r));
	snprintf(text, sizeof(text), "%d %s\n", status,
		 pki_http_reason(status));
	r.status = status;
	r.body = (unsigned char *)text;
	r.body_len = strlen(text);
	(void)send_response(c, &r, 1, 0);
}

/* The printable start of s (no controls, no non-ASCII, no spaces) into
 * out, for the log: nothing a client sends can forge a log line. */
static void
log_safe(const char *s, char *out, size_t size)
{
	size_t i;

	for (i = 0; s != NULL && s[i] != '\0' && i + 4 < size &&
	     i < PATH_LOG_MAX; i++)
		out[i] = s[i] > ' ' && s[i] < 0x7f ? s[i] : '?';
	if (s != NULL && s[i] != '\0' && i + 4 < size) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
	if (i == 0)
		snprintf(out, size, "-");
}

/* One line per request: client, method, path, status, bytes, duration,
 * module, note; then "via=<peer>" when the client's address came from a
 * trusted proxy, and "cert=<subject>" for a TLS client certificate. */
static void
log_request(const struct conn *c, const char *method, const char *path,
	    int status, size_t bytes, int64_t started, const char *module,
	    const char *note)
{
	char p[PATH_LOG_MAX + 8], n[96], sub[PATH_LOG_MAX + 8];

	log_safe(path, p, sizeof(p));
	log_safe(note, n, sizeof(n));
	log_safe(c->subject, sub, sizeof(sub));
	fprintf(stderr, "<6>%s %s %s %d %zu %lldms %s %s%s%s%s%s\n",
		c->client[0] ? c->client : c->peer,
		method != NULL ? method : "-", p, status, bytes,
		(long long)(now_ms() - started),
		module != NULL ? module : "-", n,
		c->forwarded ? " via=" : "", c->forwarded ? c->peer : "",
		c->subject != NULL ? " cert=" : "",
		c->subject != NULL ? sub : "");
}

/* The request's client: the peer, or behind a trusted proxy the address
 * it forwarded; for the log and the modules. */
static void
find_client(struct conn *c, struct pki_http_request *req)
{
	struct pki_name_ip ip;

	c->forwarded = 0;
	c->client[0] = '\0';
	if (c->peer_has_ip) {
		c->forwarded = pki_forwarded_client(&c->peer_ip, req->headers,
						    req->nheaders, c->proxies,
						    c->nproxies, &ip) !=
			PKI_FORWARDED_PEER;
		pki_name_ip_format(c->forwarded ? &ip : &c->peer_ip,
				   c->client);
	}
	req->client_addr = c->client[0] ? c->client : NULL;
	req->client_cert = c->cert.data;
	req->client_cert_len = c->cert.size;
	req->client_subject = c->subject;
}

/* Close the way a client can read the last answer: end our side, then
 * read and drop what the client still sends for a moment (a close with
 * unread bytes sends RST, which can destroy the answer in flight). */
static void
linger_close(struct conn *c)
{
	char buf[4096];
	size_t total = 0;
	ssize_t k;

	if (c->closed)
		return;
	c->closed = 1;
	if (shutdown(c->out, SHUT_WR) != 0)
		return;
	c->deadline = now_ms() + 1000;
	c->idle_ms = 500;
	while (total < 256 * 1024 && wait_fd(c, c->in, POLLIN) == 0) {
		k = read(c->in, buf, sizeof(buf));
		if (k <= 0)
			break;
		total += (size_t)k;
	}
}

/* ------------------------------------------------------------- start-up */

static void
usage(const char *name, FILE *f)
{
	fprintf(f, "usage: %s [--tls] [--config FILE] [--state-dir DIR]\n"
		"Serves one connection: fd 3 under systemd (Accept=yes), "
		"else standard input\nunder inetd.  See %s(8).\n", name, name);
}

/* Options and environment; 0, or the exit status. */
static int
parse_args(int argc, char **argv, const struct hd_handler *h,
	   const char **config, const char **state_dir, int *tls)
{
	const char *e;
	int i;

	*config = (e = getenv("SPORK_CONFIG")) != NULL && *e ? e : NULL;
	*state_dir = (e = getenv("SPORK_STATE_DIR")) != NULL && *e ? e : NULL;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			usage(h->name, stdout);
			return -1;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("%s %s\n", h->name, PACKAGE_VERSION);
			return -1;
		} else if (strcmp(argv[i], "--tls") == 0) {
			*tls = 1;
		} else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			*config = argv[++i];
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			*config = argv[i] + 9;
		} else if (strcmp(argv[i], "--state-dir") == 0 &&
			   i + 1 < argc) {
			*state_dir = argv[++i];
		} else if (strncmp(argv[i], "--state-dir=", 12) == 0) {
			*state_dir = argv[i] + 12;
		} else {
			fprintf(stderr, "<3>%s: unknown argument '%s'\n",
				h->name, argv[i]);
			usage(h->name, stderr);
			return 2;
		}
	}
	return 0;
}

static int
is_socket(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* fd 3 from systemd (Accept=yes), else 0/1 from inetd; -1 when neither. */
static int
find_connection(struct conn *c)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	char me[32];

	snprintf(me, sizeof(me), "%ld", (long)getpid());
	if (pid != NULL && fds != NULL && strcmp(pid, me) == 0 &&
	    strcmp(fds, "1") == 0 && is_socket(3)) {
		c->in = c->out = 3;
		/* not for the children we never start, but say it is used */
		unsetenv("LISTEN_PID");
		unsetenv("LISTEN_FDS");
		unsetenv("LISTEN_FDNAMES");
		return 0;
	}
	if (is_socket(0) && is_socket(1)) {
		c->in = 0;
		c->out = 1;
		return 0;
	}
	return -1;
}

static void
peer_name(struct conn *c)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char a[PKI_NAME_IP_STRLEN];

	snprintf(c->peer, sizeof(c->peer), "-");
	if (getpeername(c->in, (struct sockaddr *)&ss, &len) != 0)
		return;
	if (ss.ss_family == AF_INET) {
		c->peer_ip.len = 4;
		memcpy(c->peer_ip.addr,
		       &((struct sockaddr_in *)&ss)->sin_addr, 4);
		c->peer_has_ip = 1;
	} else if (ss.ss_family == AF_INET6) {
		c->peer_ip.len = 16;
		memcpy(c->peer_ip.addr,
		       &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
		c->peer_has_ip = 1;
	}
	if (c->peer_has_ip)
		snprintf(c->peer, sizeof(c->peer), "%s",
			 pki_name_ip_format(&c->peer_ip, a));
	else if (ss.ss_family == AF_UNIX)
		snprintf(c->peer, sizeof(c->peer), "unix");
}

/* spork.toml: the file named (which must exist), else <state>/spork.toml
 * when it exists, else the defaults. */
static int
load_config(const struct hd_handler *h, const char *path,
	    const char *state_dir, struct pki_config **out)
{
	struct pki_diags d = { 0, NULL, 0 };
	struct pki_error err;
	char *dflt = NULL;
	size_t i;
	int rc;

	pki_error_clear(&err);
	if (path == NULL) {
		if (asprintf(&dflt, "%s/%s", state_dir != NULL ? state_dir :
			     "/var/lib/spork", PKI_CONFIG_FILE) < 0)
			return PKI_E_NOMEM;
		if (access(dflt, F_OK) != 0) {
			free(dflt);
			return (*out = pki_config_default()) != NULL ? PKI_OK :
				PKI_E_NOMEM;
		}
		path = dflt;
	}
	rc = pki_config_load(path, out, &d, &err);
	for (i = 0; i < d.n; i++)
		fprintf(stderr, "<3>%s: %s:%u:%u: %s\n", h->name, path,
			d.v[i].line, d.v[i].column, d.v[i].msg);
	if (rc != PKI_OK && d.n == 0)
		fprintf(stderr, "<3>%s: %s: %s\n", h->name, path, err.msg);
	pki_diags_clear(&d);
	free(dflt);
	return rc;
}

/* No core dumps, no ptrace attach (pki_process_protect), no privileges
 * gained by exec: a handler holds unsealed online keys.  0, or -1 when
 * the process could not be protected. */
static int
harden(const struct hd_handler *h)
{
	struct pki_error err;

	pki_error_clear(&err);
	if (pki_process_protect(&err) != PKI_OK) {
		fprintf(stderr, "<3>%s: %s\n", h->name, err.msg);
		return -1;
	}
	(void)prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/* The limits of spork.toml's [http], else the defaults; the deadline of
 * the whole connection counts from now. */
static void
set_limits(struct conn *c, const struct pki_config *cfg, int64_t started)
{
	c->max_requests = cfg->http_max_requests ? cfg->http_max_requests :
		MAX_REQUESTS;
	c->idle_ms = cfg->http_idle_timeout ? cfg->http_idle_timeout * 1000 :
		IDLE_MS;
	c->deadline = started + (cfg->http_total_timeout ?
				 cfg->http_total_timeout * 1000 : TOTAL_MS);
	if (cfg->http_max_body_kib)
		c->limits.max_body = (size_t)cfg->http_max_body_kib * 1024;
	c->proxies = cfg->http_trusted_proxies;
	c->nproxies = cfg->http_ntrusted_proxies;
}

/* The TLS credentials (the certificate and its online key, the ticket
 * key), then the handshake: the first bytes read from the client.
 * 0, -1 when the handshake failed (the connection is over), or the
 * exit status. */
static int
start_tls(struct conn *c, struct pki_state *s, const struct hd_handler *h,
	  struct pki_tls_server **tls)
{
	struct pki_error err;
	int64_t started = now_ms();
	int ret;

	pki_error_clear(&err);
	if (pki_tls_server_open(s, tls, &err) != PKI_OK ||
	    pki_tls_server_session(*tls, c->in, c->out, &c->tls, &err) !=
	    PKI_OK) {
		fprintf(stderr, "<3>%s: %s\n", h->name, err.msg);
		return 1;
	}
	gnutls_handshake_set_timeout(c->tls, (unsigned)c->idle_ms);
	do {
		ret = gnutls_handshake(c->tls);
	} while (ret < 0 && !gnutls_error_is_fatal(ret));
	if (ret < 0) {
		/* a scanner or a client that does not speak TLS: one line */
		log_request(c, NULL, NULL, 0, 0, started, "tls",
			    gnutls_strerror(ret));
		gnutls_deinit(c->tls);
		c->tls = NULL;
		return -1;             /* served: nothing more to do */
	}
	/* the client certificate, checked again (a resumed session skips
	 * the handshake's check) */
	if (pki_tls_server_client(*tls, c->tls, &c->cert, &c->subject, &err)
	    != PKI_OK) {
		log_request(c, NULL, NULL, 0, 0, started, "tls", err.msg);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- serve */

/* Serve requests until the connection ends. */
static void
serve(struct conn *c, struct pki_state *s, const struct hd_handler *h,
      const struct pki_serve_opts *so)
{
	struct pki_http_conn *hc;
	struct pki_http_request req;
	struct pki_response resp;
	struct pki_error err;
	int64_t started, started_us;
	unsigned n;
	int status, keep, rc;

	if ((hc = pki_http_conn_new(conn_read, c, &c->limits)) == NULL) {
		send_error(c, 500);
		return;
	}
	for (n = 0; n < c->max_requests; n++) {
		started = now_ms();
		status = 0;
		c->client[0] = '\0';
		c->forwarded = 0;
		pki_error_clear(&err);
		rc = pki_http_read(hc, &req, &status, send_continue, c, &err);
		if (rc == PKI_E_NOTFOUND)
			break;                  /* closed between requests */
		if (rc != PKI_OK) {
			/* idle after a request: close without a word */
			if (c->timed_out && n > 0)
				break;
			status = c->timed_out ? 408 : status ? status : 400;
			/* a moment to say so, past the deadline */
			c->deadline = now_ms() + 1000;
			send_error(c, status);
			log_request(c, NULL, NULL, status, 0, started, NULL,
				    c->timed_out ? "timeout" : err.msg);
			break;
		}
		started_us = now_us();     /* the request is read */
		find_client(c, &req);
		if (pki_serve(s, so, &req, &resp, &err) != PKI_OK) {
			send_error(c, 500);
			pki_http_request_clear(&req);
			break;
		}
		/* what went wrong inside, for the operator (not the client) */
		if ((resp.status >= 500 || strcmp(resp.note, "internalError")
		     == 0) && err.msg[0] != '\0')
			fprintf(stderr, "<4>%s: %s\n", h->name, err.msg);
		keep = req.keep_alive && n + 1 < c->max_requests;
		if (keep && req.minor == 0)
			keep = PKI_HTTP_KEEP_ALIVE_10;
		(void)send_response(c, &resp, req.method != PKI_HTTP_HEAD,
				    keep);
		log_request(c, req.method_name, req.path, resp.status,
			    req.method == PKI_HTTP_HEAD ? 0 : resp.body_len,
			    started, resp.module, resp.note);
		pki_metrics_count(c->metrics, &resp, now_us() - started_us);
		pki_response_clear(&resp);
		pki_http_request_clear(&req);
		if (!keep || c->write_failed)
			break;
	}
	pki_http_conn_free(hc);
}

int
hd_main(int argc, char **argv, const struct hd_handler *h)
{
	struct conn c;
	struct pki_config *cfg = NULL;
	struct pki_state_opts o;
	struct pki_state *s = NULL;
	struct pki_serve_opts so;
	struct pki_error err;
	const char *config_path, *state_dir;
	struct pki_tls_server *tls = NULL;
	int64_t started = now_ms();
	int rc, use_tls = 0;

	if (harden(h) != 0)
		return 1;
	if ((rc = parse_args(argc, argv, h, &config_path, &state_dir,
			     &use_tls)) != 0)
		return rc < 0 ? 0 : rc;
	memset(&c, 0, sizeof(c));
	c.name = h->name;
	if (find_connection(&c) != 0) {
		fprintf(stderr, "<3>%s: no connection to serve: neither a "
			"socket from systemd (fd 3, LISTEN_FDS=1) nor a socket "
			"on standard input (inetd).  Start it from a socket "
			"unit with Accept=yes, or for a try: "
			"systemd-socket-activate --accept -l 127.0.0.1:8080 "
			"%s\n", h->name, h->name);
		return 2;
	}
	/* until the configuration is read */
	c.deadline = started + TOTAL_MS;
	c.idle_ms = IDLE_MS;
	peer_name(&c);
	gnutls_global_init();
	/* Acquire: the configuration, the store and the online key store;
	 * only then is the first byte read. */
	if (load_config(h, config_path, state_dir, &cfg) != PKI_OK) {
		send_error(&c, 503);
		rc = 1;
		goto out;
	}
	set_limits(&c, cfg, started);
	so = h->serve;
	so.ocsp_validity = cfg->ocsp_next_update;
	if (state_dir == NULL)
		state_dir = cfg->state_dir != NULL ? cfg->state_dir :
			"/var/lib/spork";
	memset(&o, 0, sizeof(o));
	o.purpose = PKI_STATE_ONLINE;
	o.config = cfg;
	o.credentials_dir = getenv("CREDENTIALS_DIRECTORY");
	o.actor = h->name;
	pki_error_clear(&err);
	if (pki_state_open(state_dir, &o, &s, &err) != PKI_OK) {
		fprintf(stderr, "<3>%s: %s\n", h->name, err.msg);
		send_error(&c, 503);
		rc = 1;
		goto out;
	}
	c.metrics = pki_metrics_new(h->name);
	if (use_tls && (rc = start_tls(&c, s, h, &tls)) != 0) {
		rc = rc < 0 ? 0 : rc;
		goto out;
	}
	serve(&c, s, h, &so);
	rc = 0;
out:
	if (c.tls != NULL) {
		(void)gnutls_bye(c.tls, GNUTLS_SHUT_WR);
		gnutls_deinit(c.tls);
	}
	if (c.metrics != NULL) {
		/* the client has its answers: count them, once */
		linger_close(&c);
		pki_error_clear(&err);
		if (pki_metrics_flush(c.metrics, s, &err) != PKI_OK)
			fprintf(stderr, "<4>%s: metrics: %s\n", h->name,
				err.msg);
		pki_metrics_free(c.metrics);
		c.metrics = NULL;
	}
	pki_tls_server_free(tls);
	gnutls_free(c.cert.data);
	free(c.subject);
	pki_state_close(s);
	pki_config_free(cfg);
	gnutls_global_deinit();
	linger_close(&c);
	return rc;
}
