/* export.h - symbol visibility: only MM_EXTERN symbols leave the shared library. */
#ifndef MAILMEDIC_EXPORT_H
#define MAILMEDIC_EXPORT_H
#if defined(MM_BUILDING_LIBRARY) && defined(__GNUC__)
#define MM_EXTERN __attribute__((visibility("default")))
#else
#define MM_EXTERN
#endif
#endif
