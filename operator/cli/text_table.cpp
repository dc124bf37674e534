#include "operator/cli/text_table.h"

#include <algorithm>

#include "operator/util/yaml_json.h"

namespace lg::cli {

std::string textTable(const std::vector<std::vector<std::string>>& cells,
                      const std::vector<int>& redRows) {
  std::vector<std::size_t> width;
  for (const auto& row : cells)
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (width.size() <= c) width.push_back(0);
      width[c] = std::max(width[c], row[c].size());
    }
  std::string out;
  for (std::size_t r = 0; r < cells.size(); ++r) {
    std::string line;
    for (std::size_t c = 0; c < cells[r].size(); ++c) {
      line += cells[r][c];
      if (c + 1 < cells[r].size()) line += std::string(width[c] - cells[r][c].size() + 3, ' ');
    }
    const bool red =
        std::find(redRows.begin(), redRows.end(), static_cast<int>(r)) != redRows.end();
    out += red ? "\x1b[31m" + line + "\x1b[0m\n" : line + "\n";
  }
  return out;
}

std::string formatDocument(const nlohmann::json& doc, const std::string& output) {
  return output == "yaml" ? jsonToYaml(doc) : doc.dump(2) + "\n";
}

}  // namespace lg::cli
