# The library's include layering (lib/README.md): fails when an #include "kds/..." points to a higher
# layer or a header is missing from the layer table. include()d from tests/CMakeLists.txt.
add_test(NAME layers COMMAND bash ${PROJECT_SOURCE_DIR}/tests/check-layers.sh ${PROJECT_SOURCE_DIR})
