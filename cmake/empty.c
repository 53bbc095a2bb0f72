/* Placeholder so that a module with no sources yet still forms a library. */
typedef int uwg_empty_translation_unit;
