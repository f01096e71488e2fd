// webserver: stands in for nginx and Apache httpd in critest's images. Answers every HTTP request
// with 200 and a small page, one forked child per connection, and logs to stdout like a server.
//   webserver [-p PORT] [-n NAME] [-P PIDFILE] [-t TITLE]
//   -p  port (default 80), on every address, IPv6 and IPv4 when the namespace has IPv6
//   -n  name used in log lines (critest looks for "httpd" in the httpd container's log)
//   -P  pid file written once listening (critest's HostPID spec waits for /var/run/nginx.pid)
//   -t  process title: the server re-executes itself with argv[0] = TITLE, so /proc/PID/cmdline
//       reads like nginx's "nginx: master process ..." (critest's ContainerPID spec greps for it)
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static const char page[] =
    "<!DOCTYPE html>\n<html><head><title>Welcome to nginx!</title></head>\n"
    "<body><h1>Welcome to nginx!</h1><p>wincri test web server</p></body></html>\n";

// As PID 1 of a container a process gets only the signals it handles, so handle the stop signals.
static void on_stop(int sig) { _exit(sig == SIGTERM || sig == SIGINT ? 0 : 1); }

static int listen_on(int port) {
  int one = 1, zero = 0;
  int fd = socket(AF_INET6, SOCK_STREAM, 0);
  if (fd >= 0) {
    struct sockaddr_in6 a6;
    memset(&a6, 0, sizeof a6);
    a6.sin6_family = AF_INET6;
    a6.sin6_port = htons(port);
    a6.sin6_addr = in6addr_any;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    if (bind(fd, (struct sockaddr *)&a6, sizeof a6) == 0 && listen(fd, 128) == 0) return fd;
    close(fd);  // IPv6 disabled in this network namespace: fall back to IPv4 only
  }
  fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a4;
  memset(&a4, 0, sizeof a4);
  a4.sin_family = AF_INET;
  a4.sin_port = htons(port);
  a4.sin_addr.s_addr = htonl(INADDR_ANY);
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (fd < 0 || bind(fd, (struct sockaddr *)&a4, sizeof a4) != 0 || listen(fd, 128) != 0) {
    perror("webserver: listen");
    exit(1);
  }
  return fd;
}

static void serve(int c, const char *name) {
  struct timeval tv = {5, 0};
  setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char req[8192];
  size_t got = 0;
  // Read the request head; the body (if any) is ignored.
  while (got < sizeof req - 1) {
    ssize_t n = read(c, req + got, sizeof req - 1 - got);
    if (n <= 0) break;
    got += (size_t)n;
    req[got] = '\0';
    if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n")) break;
  }
  req[got] = '\0';
  char *eol = strpbrk(req, "\r\n");
  if (eol) *eol = '\0';
  char head[256];
  int head_len = snprintf(head, sizeof head,
                          "HTTP/1.1 200 OK\r\nServer: %s\r\nContent-Type: text/html\r\n"
                          "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                          name, sizeof page - 1);
  if (write(c, head, (size_t)head_len) < 0 || write(c, page, sizeof page - 1) < 0) return;
  printf("%s: \"%s\" 200\n", name, req);
}

int main(int argc, char **argv) {
  int port = 80, opt;
  const char *name = "webserver", *pidfile = NULL, *title = NULL;
  while ((opt = getopt(argc, argv, "p:n:P:t:")) != -1) {
    if (opt == 'p') port = atoi(optarg);
    else if (opt == 'n') name = optarg;
    else if (opt == 'P') pidfile = optarg;
    else if (opt == 't') title = optarg;
    else return 2;
  }
  if (title && strcmp(argv[0], title) != 0) {
    // Re-exec the same file by its real path (not /proc/self/exe, which would make comm "exe"
    // and hide the process from `pidof nginx`), with the title as argv[0].
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
      self[n] = '\0';
      argv[0] = (char *)title;
      execv(self, argv);
    }
    perror("webserver: re-exec");
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  signal(SIGCHLD, SIG_IGN);  // children are reaped by the kernel
  signal(SIGPIPE, SIG_IGN);
  signal(SIGTERM, on_stop);
  signal(SIGINT, on_stop);
  int fd = listen_on(port);
  if (pidfile) {
    FILE *f = fopen(pidfile, "w");
    if (!f) {
      perror("webserver: pid file");
      return 1;
    }
    fprintf(f, "%d\n", (int)getpid());
    fclose(f);
  }
  printf("%s: listening on port %d\n", name, port);
  for (;;) {
    int c = accept(fd, NULL, NULL);
    if (c < 0) {
      if (errno == EINTR) continue;
      perror("webserver: accept");
      return 1;
    }
    pid_t pid = fork();
    if (pid == 0) {
      close(fd);
      serve(c, name);
      _exit(0);
    }
    close(c);
  }
}
