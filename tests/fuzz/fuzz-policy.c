/*
 * Fuzz target for the domain policy: the input is parsed as a
 * domain-policy.toml and, when it parses, a fixed set of names is checked
 * against it; the input is also checked as a requested name (up to its
 * first NUL) against a fixed policy.  Either path must never crash, leak
 * or read out of bounds, and every decision must be consistent.
 */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <spork/policy.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fixed_policy[] =
	"[[allow]]\npattern = \"*.example.com\"\n"
	"[[allow]]\npattern = \"web-?*.example.org\"\n"
	"[[allow]]\npattern = \"10.0.0.0/8\"\n"
	"[[allow]]\npattern = \"2001:db8::/32\"\n"
	"[[deny]]\npattern = \"*.internal.example.com\"\n"
	"[[deny]]\npattern = \"10.66.0.0/16\"\n";

static const char *const probe_names[] = {
	"example.com", "www.example.com", "a.b.example.com", "*.example.com",
	"*.internal.example.com", "x.internal.example.com", "localhost",
	"10.1.2.3", "10.66.0.1", "2001:db8::1", "::1", "192.0.2.1",
	"WWW.Example.COM.", "web-1.example.org", "*.com",
};

static void
check_one(const struct pki_policy *pol, const char *name)
{
	struct pki_policy_decision d;
	struct pki_error err;
	char buf[2 * PKI_POLICY_NAME_MAX + 256];
	int rc = pki_policy_check(pol, name, &d, &err);

	if (rc == PKI_OK) {
		/* An allowed name always has the allow rule that allowed it. */
		if (d.allowed && (d.rule == NULL ||
				  d.rule->kind != PKI_POLICY_ALLOW))
			abort();
		if (!d.allowed && d.rule != NULL &&
		    d.rule->kind != PKI_POLICY_DENY)
			abort();
		if (memchr(d.name, '\0', sizeof(d.name)) == NULL)
			abort();
		pki_policy_decision_str(&d, buf, sizeof(buf));
	} else if (d.allowed || d.rule != NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pki_policy *fixed;
	struct pki_policy *pol = NULL;
	struct pki_policy_decision d;
	struct pki_error err;
	char *name;
	size_t i;

	if (fixed == NULL &&
	    pki_policy_parse(fixed_policy, sizeof(fixed_policy) - 1, &fixed,
			     &err) != PKI_OK)
		abort();

	if (pki_policy_parse((const char *)data, size, &pol, &err) == PKI_OK) {
		for (i = 0; i < sizeof(probe_names) / sizeof(probe_names[0]);
		     i++)
			check_one(pol, probe_names[i]);
		for (i = 0; i < pki_policy_count(pol); i++)
			if (pki_policy_rule(pol, i) == NULL)
				abort();
		pki_policy_free(pol);
	}

	if ((name = malloc(size + 1)) != NULL) {
		const char *const one[1] = { name };

		memcpy(name, data, size);
		name[size] = '\0';
		check_one(fixed, name);
		/* The list helper agrees with the single-name check. */
		if (pki_policy_check_names(fixed, one, 1, NULL, 0, &err)
		    == PKI_OK &&
		    (pki_policy_check_dns(fixed, name, &d, &err) != PKI_OK ||
		     !d.allowed))
			abort();
		if (pki_policy_check_names(fixed, NULL, 0, one, 1, &err)
		    == PKI_OK &&
		    (pki_policy_check(fixed, name, &d, &err) != PKI_OK ||
		     !d.allowed || d.type != PKI_POLICY_NAME_IP))
			abort();
		if ((size == 4 || size == 16) &&
		    pki_policy_check_ip(fixed, data, size, &d, &err) == PKI_OK &&
		    d.type != PKI_POLICY_NAME_IP)
			abort();
		free(name);
	}
	return 0;
}
