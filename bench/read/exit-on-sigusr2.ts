// Preloaded into the gateway when the read benchmark profiles it (node --cpu-prof --import=…): Nest
// re-raises SIGTERM once it has closed, and a process that dies of a signal writes no CPU profile;
// SIGUSR2 ends it with process.exit, which does.
process.once('SIGUSR2', () => process.exit(0));
