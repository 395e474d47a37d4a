// Compiled by the ctest cases compile_fail/wrong_constructor_<n>
// (tests/CMakeLists.txt) with -DCASE=<n>: each case must fail with "no
// matching constructor", never by naming the private constructor that
// adopts a native handle (it takes a detail::AdoptHandle tag for that).
#include <outlet/outlet.hpp>

int main() {
#if CASE == 1
  outlet::Socket s("127.0.0.1:7000");
#elif CASE == 2
  outlet::ServerSocket s(7000);
#elif CASE == 3
  outlet::DatagramSocket s(7000);
#elif CASE == 4
  outlet::Socket s(3);
#endif  // CASE
  return s.is_open() ? 0 : 1;
}
