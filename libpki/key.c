/* key: see key.h */
