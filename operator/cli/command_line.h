#pragma once
// The command line of the leakguard binary: each subcommand's options, bound to its flags, and
// what runs it once the line is parsed. main() parses and runs the one given.

#include <CLI/CLI.hpp>
#include <functional>
#include <vector>

namespace lg::cli {

struct Subcommand {
  CLI::App* cli;             // set after parsing when it was given
  std::function<int()> run;  // its exit code
};

// Adds every subcommand to `app`: version, analyze, controller, rbac, top, status, explain,
// recommend, sample, agent.
std::vector<Subcommand> addSubcommands(CLI::App& app);

}  // namespace lg::cli
