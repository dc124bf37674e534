#pragma once
// Rows as kubectl prints them: columns left-aligned, three spaces apart, the first row the
// headers. Rows whose index is in `redRows` are wrapped in the terminal's red (callers pass
// some only when stdout is a terminal).

#include <string>
#include <vector>

namespace lg::cli {

std::string textTable(const std::vector<std::vector<std::string>>& cells,
                      const std::vector<int>& redRows = {});

}  // namespace lg::cli
