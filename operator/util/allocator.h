#pragma once
// How the long-running commands (controller, agent) ask glibc's allocator to behave.

namespace lg {

// Blocks of 128 KiB and more (a list page, its parse buffers, a page of samples) are mapped
// for themselves and unmapped when freed. glibc otherwise raises that threshold after the first
// such free, up to 32 MiB, and later pages land in its arenas, whose freed middle stays
// resident: 10,000 pods listed left the controller 45 MiB resident instead of 23
// (BENCHMARKS.md, "At scale"). No effect without glibc.
void keepLargeBlocksMapped();

}  // namespace lg
