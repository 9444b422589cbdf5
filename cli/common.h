#ifndef SPORK_CLI_COMMON_H
#define SPORK_CLI_COMMON_H
#endif
