#pragma once
// Output as kubectl prints it. Rows: columns left-aligned, three spaces apart, the first row the
// headers. Rows whose index is in `redRows` are wrapped in the terminal's red (callers pass
// some only when stdout is a terminal).

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace lg::cli {

std::string textTable(const std::vector<std::vector<std::string>>& cells,
                      const std::vector<int>& redRows = {});

// A command's -o json (indented by 2) or -o yaml output of `doc`, ending with a newline.
std::string formatDocument(const nlohmann::json& doc, const std::string& output);

}  // namespace lg::cli
