/* crl: see crl.h */
