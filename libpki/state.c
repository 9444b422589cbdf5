/* state: a state directory opened for one purpose (see state.h). */
#include <config.h>

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <spork/state.h>
#include "keystore.h"
#include <spork/key.h>
#include "lockbox.h"
#include <spork/policy.h>
#include "store-write.h"
#include "util.h"

static const char *const file_names[PKI_STATE_FILE__MAX] = {
	[PKI_STATE_DB] = "spork.db",
	[PKI_STATE_CA_DIR] = "ca",
	[PKI_STATE_LOCKBOX_DIR] = "lockbox",
	[PKI_STATE_POLICY] = "domain-policy.toml",
	[PKI_STATE_CONFIG] = PKI_CONFIG_FILE,
	[PKI_STATE_KEK] = "online.kek",
	[PKI_STATE_TLS_DIR] = "tls",
	[PKI_STATE_METRICS] = "metrics.db",
};

const char *
pki_state_file_name(enum pki_state_file which)
{
	return (unsigned)which < PKI_STATE_FILE__MAX ? file_names[which] : NULL;
}

struct pki_state {
	enum pki_state_purpose purpose;
	char *dir;
	char *paths[PKI_STATE_FILE__MAX];
	char actor[256];
	int64_t now;                 /* 0: the system clock */
	struct pki_store *st;
	struct pki_keystore *ks;
	struct pki_policy *policy;
	int policy_loaded;
	unsigned migrated;
	const struct pki_config *config;
	pki_passphrase_fn passfn;
	void *passctx;
};

/* The login name (under sudo: who logged in), else the name of the
 * real uid, else "uid:<n>". */
static void
default_actor(char *buf, size_t size)
{
	char pwbuf[4096];
	struct passwd pw, *res = NULL;

	if (getlogin_r(buf, size) == 0 && buf[0] != '\0')
		return;
	if (getpwuid_r(getuid(), &pw, pwbuf, sizeof(pwbuf), &res) == 0 &&
	    res != NULL && pw.pw_name != NULL && pw.pw_name[0] != '\0')
		snprintf(buf, size, "%s", pw.pw_name);
	else
		snprintf(buf, size, "uid:%u", (unsigned)getuid());
}

char *
pki_state_path_of(const char *dir, enum pki_state_file which)
{
	char *p = NULL;

	if (dir == NULL || (unsigned)which >= PKI_STATE_FILE__MAX ||
	    asprintf(&p, "%s/%s", dir, file_names[which]) < 0)
		return NULL;
	return p;
}

static int
make_paths(struct pki_state *s, struct pki_error *err)
{
	int i;

	for (i = 0; i < PKI_STATE_FILE__MAX; i++)
		if ((s->paths[i] = pki_state_path_of(s->dir, i)) == NULL)
			return pki_error_set(err, PKI_E_NOMEM, "out of memory");
	return PKI_OK;
}

/* The directory and its database exist, or are made with create. */
static int
check_dir(struct pki_state *s, int create, struct pki_error *err)
{
	struct stat sb;

	if (stat(s->dir, &sb) != 0) {
		if (errno != ENOENT)
			return pki_error_set(err, PKI_E_IO, "cannot use state "
					     "directory %s: %s", s->dir,
					     strerror(errno));
		if (!create) {
			pki_error_set(err, PKI_E_NOTFOUND, "state directory %s "
				      "does not exist", s->dir);
			return pki_error_hint(err, PKI_HINT_BUILD);
		}
		if (mkdir(s->dir, 0700) != 0 && errno != EEXIST)
			return pki_error_set(err, PKI_E_IO, "cannot create %s: %s",
					     s->dir, strerror(errno));
	} else if (!S_ISDIR(sb.st_mode)) {
		return pki_error_set(err, PKI_E_INVALID, "state directory %s is "
				     "not a directory", s->dir);
	}
	if (!create && access(s->paths[PKI_STATE_DB], F_OK) != 0) {
		pki_error_set(err, PKI_E_NOTFOUND, "%s has no %s", s->dir,
			      file_names[PKI_STATE_DB]);
		return pki_error_hint(err, PKI_HINT_BUILD);
	}
	return PKI_OK;
}

/*
 * path may be trusted: it belongs to this user or root and neither group
 * nor others may write it.  A path that is missing, or that this process
 * cannot reach (a handler's lockbox/offline/, made inaccessible by
 * systemd), is fine: it will not be read either.  what names it in the
 * message ("state directory", "domain policy" ...).
 */
static int
check_mode(const char *path, const char *what, struct pki_error *err)
{
	struct stat sb;
	uid_t me = geteuid();

	if (stat(path, &sb) != 0) {
		if (errno == ENOENT || errno == EACCES)
			return PKI_OK;
		return pki_error_set(err, PKI_E_IO, "cannot examine %s %s: %s",
				     what, path, strerror(errno));
	}
	if (sb.st_uid != me && sb.st_uid != 0)
		return pki_error_set(err, PKI_E_DENIED, "%s %s belongs to uid "
				     "%u, neither to this user (uid %u) nor to "
				     "root, so that user could change what is "
				     "certified; run spork as its owner, or "
				     "fix it with: chown %u %s",
				     what, path, (unsigned)sb.st_uid,
				     (unsigned)me, (unsigned)me, path);
	if ((sb.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return pki_error_set(err, PKI_E_DENIED, "%s %s is writable by "
				     "%s (mode %04o), so another user could "
				     "change what is certified; fix it with: "
				     "chmod go-w %s", what,
				     path, (sb.st_mode & S_IWOTH) != 0 ?
				     "others" : "its group",
				     (unsigned)(sb.st_mode & 07777), path);
	return PKI_OK;
}

int
pki_state_check_modes(const char *dir, struct pki_error *err)
{
	static const struct {
		const char *name, *what;
	} entries[] = {
		{ "", "state directory" },
		{ "/ca", "directory" },
		{ "/lockbox", "directory" },
		{ "/lockbox/offline", "directory" },
		{ "/lockbox/online", "directory" },
		{ "/spork.db", "database" },
		{ "/spork.db-wal", "database log" },
		{ "/spork.db-shm", "database index" },
		{ "/domain-policy.toml", "domain policy" },
		{ "/" PKI_CONFIG_FILE, "settings file" },
	};
	size_t i;
	char *p = NULL;
	int rc = PKI_OK;

	if (dir == NULL || *dir == '\0')
		return pki_error_set(err, PKI_E_INVALID, "pki_state_check_modes: "
				     "no directory");
	for (i = 0; rc == PKI_OK && i < sizeof(entries) / sizeof(entries[0]);
	     i++) {
		if (asprintf(&p, "%s%s", dir, entries[i].name) < 0)
			return pki_error_set(err, PKI_E_NOMEM, "out of memory");
		rc = check_mode(p, entries[i].what, err);
		free(p);
	}
	return rc;
}

static int
open_keys(struct pki_state *s, const struct pki_state_opts *o,
	  struct pki_error *err)
{
	const struct pki_config *c = o->config;
	struct pki_keystore_opts ko;
	int rc;

	memset(&ko, 0, sizeof(ko));
	ko.passfn = o->passfn;
	ko.passctx = o->passctx;
	ko.credentials_dir = o->credentials_dir;
	ko.pkcs11_module = o->pkcs11_module;
	if (ko.pkcs11_module == NULL && c != NULL)
		ko.pkcs11_module = c->pkcs11_module;
	ko.argon2 = o->argon2;
	if (c != NULL) {
		if (ko.argon2.m_cost_kib == 0)
			ko.argon2.m_cost_kib = c->argon2_memory_kib;
		if (ko.argon2.t_cost == 0)
			ko.argon2.t_cost = c->argon2_passes;
		if (ko.argon2.lanes == 0)
			ko.argon2.lanes = c->argon2_lanes;
	}
	/* One cost given (an override or the config): the others default. */
	if (ko.argon2.m_cost_kib != 0 || ko.argon2.t_cost != 0 ||
	    ko.argon2.lanes != 0) {
		if (ko.argon2.m_cost_kib == 0)
			ko.argon2.m_cost_kib = PKI_ARGON2_DEFAULT_KIB;
		if (ko.argon2.t_cost == 0)
			ko.argon2.t_cost = PKI_ARGON2_DEFAULT_PASSES;
		if (ko.argon2.lanes == 0)
			ko.argon2.lanes = PKI_ARGON2_DEFAULT_LANES;
	}
	ko.online_only = o->purpose == PKI_STATE_ONLINE;
	if ((rc = pki_keystore_open(s->dir, &ko, &s->ks, err)) != PKI_OK)
		return rc;
	s->migrated = (unsigned)pki_keystore_migrated(s->ks);
	if (s->migrated == 0)
		return PKI_OK;
	{
		char detail[64];

		snprintf(detail, sizeof(detail), "{\"moved\":%u}", s->migrated);
		return pki_store_audit(s->st, s->actor, "lockbox.migrate",
				       "lockbox", detail, err);
	}
}

/* Before the state is used to certify anything: no one else can change
 * it (pki_state_check_modes), nor the settings file it was given. */
static int
check_trusted(const struct pki_state *s, const struct pki_config *c,
	      struct pki_error *err)
{
	int rc = pki_state_check_modes(s->dir, err);

	if (rc == PKI_OK && c != NULL && c->path != NULL)
		rc = check_mode(c->path, "settings file", err);
	return rc;
}

int
pki_state_open(const char *dir, const struct pki_state_opts *o,
	       struct pki_state **out, struct pki_error *err)
{
	static const struct pki_state_opts defaults;
	struct pki_state *s = NULL;
	int rc = PKI_E_NOMEM, create;

	*out = NULL;
	if (o == NULL)
		o = &defaults;
	if (dir == NULL || *dir == '\0' || (unsigned)o->purpose >= PKI_STATE__MAX)
		return pki_error_set(err, PKI_E_INVALID, "pki_state_open: no "
				     "directory or an unknown purpose");
	create = o->create && o->purpose == PKI_STATE_CLI;
	if ((s = calloc(1, sizeof(*s))) == NULL || (s->dir = strdup(dir)) == NULL) {
		pki_error_set(err, rc, "out of memory");
		goto out;
	}
	s->purpose = o->purpose;
	s->now = o->now;
	s->config = o->config;
	s->passfn = o->passfn;
	s->passctx = o->passctx;
	if (o->actor != NULL && o->actor[0] != '\0')
		snprintf(s->actor, sizeof(s->actor), "%s", o->actor);
	else
		default_actor(s->actor, sizeof(s->actor));
	if ((rc = make_paths(s, err)) != PKI_OK ||
	    (rc = check_dir(s, create, err)) != PKI_OK ||
	    (o->purpose != PKI_STATE_READ &&
	     (rc = check_trusted(s, o->config, err)) != PKI_OK) ||
	    (rc = pki_store_open(s->paths[PKI_STATE_DB],
				 o->purpose == PKI_STATE_READ ?
				 PKI_STORE_READONLY : create ?
				 PKI_STORE_CREATE : PKI_STORE_EXISTING,
				 &s->st, err)) != PKI_OK)
		goto out;
	pki__store_set_actor(s->st, s->actor);
	pki__store_set_clock(s->st, s->now);
	if (o->purpose != PKI_STATE_READ && (rc = open_keys(s, o, err)) != PKI_OK)
		goto out;
	*out = s;
	s = NULL;
	rc = PKI_OK;
out:
	pki_state_close(s);
	return rc;
}

void
pki_state_close(struct pki_state *s)
{
	int i;

	if (s == NULL)
		return;
	pki_policy_free(s->policy);
	pki_keystore_free(s->ks);
	pki_store_close(s->st);
	for (i = 0; i < PKI_STATE_FILE__MAX; i++)
		free(s->paths[i]);
	free(s->dir);
	free(s);
}

struct pki_store *
pki_state_store(struct pki_state *s)
{
	return s->st;
}

struct pki_keystore *
pki_state_keystore(struct pki_state *s)
{
	return s->ks;
}

enum pki_state_purpose
pki_state_purpose(const struct pki_state *s)
{
	return s->purpose;
}

const char *
pki_state_dir(const struct pki_state *s)
{
	return s->dir;
}

const char *
pki_state_path(const struct pki_state *s, enum pki_state_file which)
{
	if ((unsigned)which >= PKI_STATE_FILE__MAX)
		return NULL;
	return s->paths[which];
}

const char *
pki_state_actor(const struct pki_state *s)
{
	return s->actor;
}

int64_t
pki_state_now(const struct pki_state *s)
{
	return s != NULL && s->now != 0 ? s->now : (int64_t)time(NULL);
}

const struct pki_config *
pki_state_config(const struct pki_state *s)
{
	return s->config;
}

int
pki_state_ask(struct pki_state *s, const char *label,
	      enum pki_pass_purpose purpose, char *buf, size_t size,
	      struct pki_error *err)
{
	int rc;

	if (s->passfn == NULL)
		return pki_error_set(err, PKI_E_INVALID, "the %s of %s is "
				     "needed and this state directory was "
				     "opened without a passphrase source",
				     purpose == PKI_PASS_PKCS12_IN ||
				     purpose == PKI_PASS_PKCS12_OUT ?
				     "password" : "passphrase", label);
	rc = s->passfn(s->passctx, label, purpose, buf, size, err);
	if (rc != PKI_OK)
		pki_memzero(buf, size);
	return rc;
}

unsigned
pki_state_migrated(const struct pki_state *s)
{
	return s->migrated;
}

char *
pki_state_slug(const char *name)
{
	static const char hexd[] = "0123456789abcdef";
	size_t i, o = 0, len;
	char *s;
	int dash = 1;

	if (name == NULL)
		return NULL;
	len = strlen(name);
	if ((s = malloc(2 * len + 2)) == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c >= 0x80) {
			/* Non-ASCII: its UTF-8 bytes in hex, so that names in
			 * other scripts stay distinct. */
			s[o++] = hexd[c >> 4];
			s[o++] = hexd[c & 15];
			dash = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			s[o++] = (char)c;
			dash = 0;
		} else if (c >= 'A' && c <= 'Z') {
			s[o++] = (char)(c - 'A' + 'a');
			dash = 0;
		} else if (!dash) {
			s[o++] = '-';
			dash = 1;
		}
	}
	while (o > 0 && s[o - 1] == '-')
		o--;
	if (o == 0)
		s[o++] = 'x';
	s[o] = '\0';
	return s;
}

char *
pki_state_ca_file(const struct pki_state *s, const char *ca_name,
		  const char *suffix)
{
	char *slug = pki_state_slug(ca_name), *p = NULL;

	if (slug != NULL &&
	    asprintf(&p, "%s/%s%s", s->paths[PKI_STATE_CA_DIR], slug,
		     suffix != NULL ? suffix : "") < 0)
		p = NULL;
	free(slug);
	return p;
}

int
pki_state_policy(struct pki_state *s, const struct pki_policy **out,
		 struct pki_error *err)
{
	const char *path = s->paths[PKI_STATE_POLICY];
	int rc;

	*out = NULL;
	if (!s->policy_loaded) {
		if (access(path, F_OK) != 0 && errno == ENOENT) {
			s->policy_loaded = 1;
			return PKI_OK;
		}
		if ((rc = pki_policy_load(path, &s->policy, err)) != PKI_OK) {
			if (err != NULL && err->line == 0)
				pki_error_prefix(err, "%s", path);
			return rc;
		}
		s->policy_loaded = 1;
	}
	*out = s->policy;
	return PKI_OK;
}
