// Built header-only in the default configuration, except in same_separate
// (separate compilation, like its uses_outlet.cpp). When uses_outlet.cpp was
// built in another configuration, its functions take types of another inline
// namespace, so these calls must not link.
#include "uses.hpp"

#include <cstdio>

int main() {
  const outlet::Poller poller;
  if (poller_size(poller) != sizeof poller) {
    std::puts("FAIL: the two translation units disagree about sizeof(Poller)");
    return 1;
  }
  outlet::DatagramSocket receiver(outlet::Address::loopback(outlet::Family::ipv4, 0));
  outlet::DatagramSocket sender(outlet::Family::ipv4);
  if (send_one(sender, receiver.local_address()) != 1) return 1;
  char byte = 0;
  outlet::Address from;
  if (receiver.receive_from(&byte, 1, from) != 1 || byte != 'x') return 1;
  std::printf("linked and ran: %s\n", from.to_string().c_str());
  return 0;
}
