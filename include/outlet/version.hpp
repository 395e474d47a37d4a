// outlet — the library's version. The three numbers below are the one place
// it is written in C++; CMakeLists.txt's project(VERSION) must say the same,
// and configuring outlet fails if it does not.
#ifndef OUTLET_VERSION_HPP
#define OUTLET_VERSION_HPP

/// Major version: raised for a change that breaks code written against the
/// previous one (semantic versioning; before 1.0.0, minor releases may too).
#define OUTLET_VERSION_MAJOR 0
/// Minor version: raised when features are added compatibly.
#define OUTLET_VERSION_MINOR 1
/// Patch version: raised for compatible fixes.
#define OUTLET_VERSION_PATCH 0

/// The version as one number for #if tests, like {fmt}'s FMT_VERSION:
/// MAJOR * 10000 + MINOR * 100 + PATCH (0.1.0 is 100, 1.2.3 is 10203).
#define OUTLET_VERSION (OUTLET_VERSION_MAJOR * 10000 + OUTLET_VERSION_MINOR * 100 + OUTLET_VERSION_PATCH)

#define OUTLET_DETAIL_STRINGIZE_EXPANDED(x) #x
#define OUTLET_DETAIL_STRINGIZE(x) OUTLET_DETAIL_STRINGIZE_EXPANDED(x)

/// The version as a string literal, "MAJOR.MINOR.PATCH" (for example "0.1.0").
#define OUTLET_VERSION_STRING                   \
  OUTLET_DETAIL_STRINGIZE(OUTLET_VERSION_MAJOR) \
  "." OUTLET_DETAIL_STRINGIZE(OUTLET_VERSION_MINOR) "." OUTLET_DETAIL_STRINGIZE(OUTLET_VERSION_PATCH)

#endif  // OUTLET_VERSION_HPP
