/* lockbox: see lockbox.h */
