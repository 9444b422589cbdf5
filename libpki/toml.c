/* toml: see toml.h */
