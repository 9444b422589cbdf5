/*
 * process: what a program that holds keys does before anything else.
 *
 * While a CA key is unsealed, or a key generated for a subscriber waits
 * to be written, it sits in the process's memory.  A core dump would put
 * it on disk (often into a world-readable crash collector), and another
 * process of the same user could read it through ptrace or
 * /proc/PID/mem.  pki_process_protect closes both ways for the rest of
 * the process's life; the CLI's main() and every protocol handler call
 * it first.
 */
#ifndef PKI_PROCESS_H
#define PKI_PROCESS_H

#include "pki.h"

/*
 * Make this process write no core dump (RLIMIT_CORE 0, soft and hard, so
 * that it cannot be raised again without privilege; inherited by
 * children) and not dumpable (PR_SET_DUMPABLE 0: no core dump even by a
 * core_pattern pipe, no ptrace attach and no /proc/PID/mem by
 * processes of the same user).  Idempotent.  PKI_E_IO, naming the call
 * that failed, when either cannot be set.
 */
int pki_process_protect(struct pki_error *err) PKI_WUR;

#endif
