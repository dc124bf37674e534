#pragma once
// How the long-running commands (controller, agent) ask glibc's allocator to behave.

namespace lg {

// Blocks of 128 KiB and more (a list page, its parse buffers, a page of samples) are mapped
// for themselves and unmapped when freed. glibc otherwise raises that threshold after the first
// such free, up to 32 MiB, and later pages land in its arenas, whose freed middle stays
// resident: 10,000 pods listed left the controller 45 MiB resident instead of 23
// (BENCHMARKS.md, "At scale"). No effect without glibc.
void keepLargeBlocksMapped();

// Gives the pages the allocator holds free back to the system (malloc_trim): after a burst of
// short-lived allocations (a long list, a backlog of agent samples), whose freed chunks would
// otherwise stay resident between the long-lived ones for the life of the process. Costs a walk
// of the arenas: call it after bursts, not per object. No effect without glibc.
void releaseFreeMemory();

}  // namespace lg
