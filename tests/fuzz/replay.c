/* replay.c - runs the fuzz target without libFuzzer: each file named on the
 * command line (or each file in a named directory) is one input and one test
 * case, so every build - gcc, sanitizers, the aarch64 cross build under qemu -
 * checks the committed seed corpus. A failed check aborts the program. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int passed, failed;

static void run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        printf("FAIL %s: cannot open\n", path);
        failed++;
        return;
    }
    static uint8_t buf[1 << 20];
    const size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    printf("RUN  %s (%zu bytes)\n", path, n);
    fflush(stdout);
    LLVMFuzzerTestOneInput(buf, n);
    printf("PASS %s\n", path);
    passed++;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0 || !S_ISDIR(st.st_mode)) {
            run_file(argv[i]);
            continue;
        }
        DIR *d = opendir(argv[i]);
        char *names[4096];
        size_t n = 0;
        for (struct dirent *e; d && (e = readdir(d)) && n < 4096;)
            if (e->d_name[0] != '.') {
                names[n] = malloc(strlen(argv[i]) + strlen(e->d_name) + 2);
                sprintf(names[n++], "%s/%s", argv[i], e->d_name);
            }
        if (d)
            closedir(d);
        qsort(names, n, sizeof *names, by_name);
        for (size_t k = 0; k < n; k++) {
            run_file(names[k]);
            free(names[k]);
        }
    }
    printf("%d passed, %d failed, 0 skipped\n", passed, failed);
    return failed || passed == 0;
}
