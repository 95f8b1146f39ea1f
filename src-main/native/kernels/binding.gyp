{
  "variables": {
    "tfjs_deps%": "<!(node -p \"require('path').join(require('path').dirname(require.resolve('@tensorflow/tfjs-node/package.json')), 'deps')\")"
  },
  "targets": [
    {
      "target_name": "lstm_studio_stdio",
      "sources": ["stdio_guard.c"]
    },
    {
      "target_name": "lstm_studio_kernels",
      "sources": ["lstm_kernels.cc"],
      "include_dirs": ["<(tfjs_deps)/include"],
      "cflags_cc": ["-O3", "-std=c++17", "-fno-math-errno", "-ffp-contract=fast", "-Wno-unused-function"],
      "cflags_cc!": ["-fno-exceptions"],
      "conditions": [
        ["OS=='linux'", {
          "libraries": ["-L<(tfjs_deps)/lib", "-ltensorflow_framework", "-Wl,-rpath,<(tfjs_deps)/lib"]
        }],
        ["OS=='mac'", {
          "libraries": ["-L<(tfjs_deps)/lib", "-ltensorflow_framework", "-Wl,-rpath,<(tfjs_deps)/lib"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-O3", "-std=c++17"] }
        }]
      ]
    }
  ]
}
