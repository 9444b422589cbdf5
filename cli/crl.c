/* see cli/common.h */
