// nonewprivs: installed setuid root. Run as a non-root user, it prints "Effective uid: 0" unless
// no_new_privs stopped the setuid bit from taking effect, in which case it prints the caller's uid.
#include <stdio.h>
#include <unistd.h>

int main(void) {
  printf("Effective uid: %d\n", (int)geteuid());
  return 0;
}
