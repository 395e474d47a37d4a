// outlet's bodies for echo_outlet.cpp built in separate compilation (the
// "separate" program of bench/header_cost.py): the one file that includes
// <outlet/src.hpp>. Compiled once per program, so not part of the measure.
#include <outlet/src.hpp>
