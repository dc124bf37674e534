// leakguard: one binary, several subcommands. main() only parses arguments and wires commands.

#include <CLI/CLI.hpp>
#include <iostream>

#include "controllers/detect/detector_options.h"
#include "operator/cli/analyze_command.h"
#include "operator/cli/version.h"

int main(int argc, char** argv) {
  CLI::App app{"LeakGuard: finds memory, fd and thread leaks in pods and heals them as declared"};
  app.require_subcommand(1);
  app.set_version_flag("--version", lg::cli::versionString());

  auto* version = app.add_subcommand("version", "Print the version and exit");

  auto* analyze = app.add_subcommand(
      "analyze", "Replay usage traces (CSV) through the online detector; one JSON line per file");
  std::vector<std::string> files;
  lg::detect::DetectorOptions opts;
  analyze->add_option("files", files, "Trace files (CSV, see traces/README.md)")->required();
  analyze
      ->add_option("--margin", opts.margin,
                   "Evidence needed, in BIC units, for growth over any benign explanation")
      ->capture_default_str();
  analyze
      ->add_option("--horizon", opts.horizonSeconds,
                   "Report only leaks forecast to exhaust the limit within this many seconds")
      ->capture_default_str();
  analyze
      ->add_option("--min-growth", opts.minGrowthSeconds,
                   "Seconds growth must last before it is called a leak")
      ->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (*version) {
    std::cout << "leakguard " << lg::cli::versionString() << "\n";
    return 0;
  }
  if (*analyze) return lg::cli::runAnalyze(files, opts, std::cout, std::cerr);
  return 0;
}
