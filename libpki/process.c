/* process: no core dumps, no ptrace (see process.h).  Linux. */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <spork/process.h>

int
pki_process_protect(struct pki_error *err)
{
	struct rlimit rl = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &rl) != 0)
		return pki_error_set(err, PKI_E_IO, "cannot turn off core dumps: "
				     "setrlimit(RLIMIT_CORE): %s",
				     strerror(errno));
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return pki_error_set(err, PKI_E_IO, "cannot make the process "
				     "non-dumpable: prctl(PR_SET_DUMPABLE): %s",
				     strerror(errno));
	return PKI_OK;
}
