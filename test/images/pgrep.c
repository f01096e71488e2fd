// pgrep: just enough of procps' pgrep for critest ("pgrep sleep" after an exec timeout): print the
// pids of processes whose name (/proc/PID/comm) matches an extended regex, exit 1 when none does.
//   pgrep [-f] [-x] [-l] PATTERN     -f: match the full command line, -x: whole-string match,
//                                    -l: print the name after the pid
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// read_proc reads /proc/PID/FILE into buf, turning NULs (cmdline separators) and the final
// newline into spaces/terminators. Returns 0 when the process vanished or the file is empty.
static int read_proc(const char *pid, const char *file, char *buf, size_t size) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%s/%s", pid, file);
  int fd = open(path, O_RDONLY);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, size - 1);
  close(fd);
  if (n <= 0) return 0;
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\0')) n--;
  for (ssize_t i = 0; i < n; i++)
    if (buf[i] == '\0') buf[i] = ' ';
  buf[n] = '\0';
  return 1;
}

int main(int argc, char **argv) {
  int full = 0, exact = 0, list = 0, opt;
  while ((opt = getopt(argc, argv, "fxl")) != -1) {
    if (opt == 'f') full = 1;
    else if (opt == 'x') exact = 1;
    else if (opt == 'l') list = 1;
    else return 2;
  }
  if (optind != argc - 1) {
    fputs("usage: pgrep [-f] [-x] [-l] PATTERN\n", stderr);
    return 2;
  }
  char pattern[4096];
  snprintf(pattern, sizeof pattern, exact ? "^(%s)$" : "%s", argv[optind]);
  regex_t re;
  if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0) {
    fputs("pgrep: invalid pattern\n", stderr);
    return 2;
  }

  DIR *proc = opendir("/proc");
  if (!proc) {
    perror("pgrep: /proc");
    return 3;
  }
  long self = (long)getpid();
  int found = 0;
  struct dirent *e;
  char comm[64], subject[8192];
  while ((e = readdir(proc)) != NULL) {
    if (!isdigit((unsigned char)e->d_name[0]) || atol(e->d_name) == self) continue;
    if (!read_proc(e->d_name, "comm", comm, sizeof comm)) continue;
    if (full && !read_proc(e->d_name, "cmdline", subject, sizeof subject)) continue;
    if (regexec(&re, full ? subject : comm, 0, NULL, 0) != 0) continue;
    found = 1;
    if (list) printf("%s %s\n", e->d_name, full ? subject : comm);
    else printf("%s\n", e->d_name);
  }
  closedir(proc);
  return found ? 0 : 1;
}
