// leakguard: one binary, several subcommands (command_line.h). main() parses the command line
// and runs the subcommand given.

#include <CLI/CLI.hpp>

#include "operator/cli/command_line.h"
#include "operator/cli/version.h"

int main(int argc, char** argv) {
  CLI::App app{"LeakGuard: finds memory, fd and thread leaks in pods and heals them as declared"};
  app.require_subcommand(1);
  app.set_version_flag("--version", lg::cli::versionString());
  const std::vector<lg::cli::Subcommand> subcommands = lg::cli::addSubcommands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  for (const auto& s : subcommands)
    if (*s.cli) return s.run();
  return 0;
}
