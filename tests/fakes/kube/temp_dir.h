#pragma once
// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction
// (house rule 3: readers take a root, tests build the tree here).

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace lg::kube::testing {

class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/lg-kube-test-XXXXXX";
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& rel) const { return path_ + "/" + rel; }
  // Writes (replacing) rel with text, creating parent directories; returns the full path.
  std::string write(const std::string& rel, const std::string& text,
                    bool executable = false) const {
    const std::string p = file(rel);
    std::filesystem::create_directories(std::filesystem::path(p).parent_path());
    {
      std::ofstream out(p, std::ios::binary | std::ios::trunc);
      out << text;
    }
    if (executable) ::chmod(p.c_str(), 0755);
    return p;
  }

 private:
  std::string path_;
};

}  // namespace lg::kube::testing
