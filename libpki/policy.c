/* policy: see policy.h */
