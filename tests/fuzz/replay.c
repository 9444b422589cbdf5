/*
 * replay: a main() for fuzz targets built without libFuzzer.
 *
 *   fuzz-NAME [-flag ...] FILE|DIRECTORY ...
 *
 * Calls the target's LLVMFuzzerTestOneInput() once with an empty input,
 * then once on each FILE and on each regular file below each DIRECTORY
 * (recursively, in name order, dot files skipped).  Arguments starting
 * with '-' are libFuzzer options and are ignored, so that the same command
 * line (e.g. "-runs=0 corpus/") replays a corpus with either kind of
 * binary.  A crash is the target's failure; this driver exits 0 after
 * printing how many inputs it ran, or 1 if an input cannot be read.
 *
 * Each input is copied into a buffer of exactly its size, so that a
 * sanitizer build catches reads past the end.  main() is weak: when a
 * target is linked with -fsanitize=fuzzer, libFuzzer's main() wins.
 * LLVMFuzzerInitialize() is called first if the target defines it.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define REPLAY_MAX_INPUT (64u * 1024 * 1024)
#define REPLAY_MAX_DEPTH 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));
int main(int argc, char **argv) __attribute__((weak));

static unsigned long ninputs;

static int
run_file(const char *path)
{
	FILE *f = NULL;
	unsigned char *buf = NULL;
	struct stat st;
	size_t len;
	int rc = 1;

	if ((f = fopen(path, "rb")) == NULL || fstat(fileno(f), &st) != 0) {
		fprintf(stderr, "replay: cannot open %s: %s\n", path,
			strerror(errno));
		goto out;
	}
	if (st.st_size < 0 || (uintmax_t)st.st_size > REPLAY_MAX_INPUT) {
		fprintf(stderr, "replay: %s: larger than %u bytes\n", path,
			REPLAY_MAX_INPUT);
		goto out;
	}
	len = (size_t)st.st_size;
	if ((buf = malloc(len ? len : 1)) == NULL ||
	    (len > 0 && fread(buf, 1, len, f) != len)) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		goto out;
	}
	LLVMFuzzerTestOneInput(buf, len);
	ninputs++;
	rc = 0;
out:
	free(buf);
	if (f != NULL)
		fclose(f);
	return rc;
}

static int
skip_dots(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static int
run_path(const char *path, int depth)
{
	struct dirent **names = NULL;
	struct stat st;
	char *sub;
	int n, i, rc = 0;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (!S_ISDIR(st.st_mode))
		return S_ISREG(st.st_mode) ? run_file(path) : 0;
	if (depth >= REPLAY_MAX_DEPTH) {
		fprintf(stderr, "replay: %s: directories nested too deep\n",
			path);
		return 1;
	}
	if ((n = scandir(path, &names, skip_dots, alphasort)) < 0) {
		fprintf(stderr, "replay: cannot list %s: %s\n", path,
			strerror(errno));
		return 1;
	}
	for (i = 0; i < n; i++) {
		size_t len = strlen(path) + strlen(names[i]->d_name) + 2;

		if ((sub = malloc(len)) == NULL) {
			rc = 1;
		} else {
			snprintf(sub, len, "%s/%s", path, names[i]->d_name);
			if (run_path(sub, depth + 1) != 0)
				rc = 1;
			free(sub);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int
main(int argc, char **argv)
{
	static const uint8_t empty[1];
	int i, rc = 0;

	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	LLVMFuzzerTestOneInput(empty, 0);
	ninputs++;
	for (i = 1; i < argc; i++) {
		if (argv[i][0] == '-')
			continue;
		if (run_path(argv[i], 0) != 0)
			rc = 1;
	}
	printf("%s: %lu inputs replayed\n", argc > 0 ? argv[0] : "replay",
	       ninputs);
	return rc;
}
