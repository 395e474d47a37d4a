// What uses_outlet.cpp defines and main.cpp calls: functions whose
// signatures name outlet types, as two parts of one program would share them.
#ifndef OUTLET_TESTS_ODR_USES_HPP
#define OUTLET_TESTS_ODR_USES_HPP

#include <outlet/outlet.hpp>

#include <cstddef>

/// sizeof(outlet::Poller) as the defining translation unit sees it.
std::size_t poller_size(const outlet::Poller& poller);
/// Sends one datagram from `from` to `to` with send_batch (the code path
/// OUTLET_NO_MESSAGE_BATCH changes); returns how many datagrams went.
std::size_t send_one(outlet::DatagramSocket& from, const outlet::Address& to);

#endif  // OUTLET_TESTS_ODR_USES_HPP
