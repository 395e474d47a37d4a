// A library whose public header includes outlet's, so its users need
// outlet::outlet's include directory through netapp::netapp.
#pragma once
#include <outlet/outlet.hpp>

#include <string>

namespace netapp {
// Sends `text` over a loopback TCP connection and returns what arrived.
std::string echo_once(const std::string& text);
}  // namespace netapp
