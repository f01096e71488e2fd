// pause: the sandbox's first process. It sleeps until SIGINT/SIGTERM and reaps every child that
// is reparented to it (it is PID 1 of the pod's PID namespace), so no zombie outlives its parent.
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PAUSE_VERSION
#define PAUSE_VERSION "dev"
#endif

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig) { stop_signal = sig; }

static void on_child(int sig) {
  (void)sig;
  int saved = errno;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
  errno = saved;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "-v") == 0) {
    puts("pause " PAUSE_VERSION " (wincri test image)");
    return 0;
  }
  if (getpid() != 1) fputs("Warning: pause should be the first process\n", stderr);

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sa.sa_handler = on_child;
  sa.sa_flags = SA_NOCLDSTOP | SA_RESTART;
  sigaction(SIGCHLD, &sa, NULL);

  while (!stop_signal) pause();
  fprintf(stderr, "Shutting down, got signal %d\n", (int)stop_signal);
  return 0;
}
