/*
 * runtime: what every spork handler does around its protocol modules.
 *
 * A handler is one process per connection.  hd_main finds the
 * connection (fd 3 under systemd Accept=yes, with LISTEN_PID and
 * LISTEN_FDS=1; else fd 0/1 under inetd, or systemd-socket-activate
 * --inetd), reads the configuration, opens the state directory for
 * online use (the store and online keys; offline keys are refused before
 * any file is opened), and only then reads the first byte of the
 * request.  It then serves requests with <spork/http.h> and pki_serve
 * until the client closes, asks to close, reaches the request limit, is
 * idle too long or the connection reaches its total time; bad input gets
 * its status and a closed connection.  One line per request goes to
 * standard error with a syslog priority prefix for journald.
 */
#ifndef SPORK_HANDLER_RUNTIME_H
#define SPORK_HANDLER_RUNTIME_H

#include <spork/serve.h>

/* A handler's fixed description. */
struct hd_handler {
	const char *name;              /* "spork-ocsp", for messages */
	struct pki_serve_opts serve;   /* the modules and their mounts */
};

/* The handler's whole main(); returns the process exit status. */
int hd_main(int argc, char **argv, const struct hd_handler *h);

#endif
