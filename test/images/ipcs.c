// ipcs: the shared-memory part of util-linux ipcs, which critest runs as `ipcs -m` to see whether
// a segment made on the host is visible (HostIpc) or not. Reads the caller's IPC namespace through
// /proc/sysvipc/shm. Other options print their (empty) section header.
#include <stdio.h>
#include <string.h>

static void shm(void) {
  puts("\n------ Shared Memory Segments --------");
  puts("key        shmid      owner      perms      bytes      nattch     status");
  FILE *f = fopen("/proc/sysvipc/shm", "r");
  if (!f) return;
  char line[512];
  if (!fgets(line, sizeof line, f)) {  // column titles
    fclose(f);
    return;
  }
  int key, shmid;
  unsigned perms, uid;
  unsigned long size, nattch;
  int cpid, lpid;
  while (fgets(line, sizeof line, f)) {
    if (sscanf(line, "%d %d %o %lu %d %d %lu %u", &key, &shmid, &perms, &size, &cpid, &lpid,
               &nattch, &uid) != 8)
      continue;
    printf("0x%08x %-10d %-10u %-10o %-10lu %-10lu\n", (unsigned)key, shmid, uid, perms & 0777,
           size, nattch);
  }
  fclose(f);
}

int main(int argc, char **argv) {
  int want_shm = argc < 2, want_q = argc < 2, want_s = argc < 2;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-m") == 0) want_shm = 1;
    else if (strcmp(argv[i], "-q") == 0) want_q = 1;
    else if (strcmp(argv[i], "-s") == 0) want_s = 1;
    else if (strcmp(argv[i], "-a") == 0) want_shm = want_q = want_s = 1;
    else {
      fprintf(stderr, "ipcs: unsupported option %s (this ipcs knows -m -q -s -a)\n", argv[i]);
      return 1;
    }
  }
  if (want_q) puts("\n------ Message Queues --------\nkey        msqid      owner      perms");
  if (want_shm) shm();
  if (want_s) puts("\n------ Semaphore Arrays --------\nkey        semid      owner      perms");
  putchar('\n');
  return 0;
}
