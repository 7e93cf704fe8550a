// Allure 3 configuration: one self-contained HTML file (reports/allure-report/index.html).
export default {
  name: "kandy-emulator",
  output: "./reports/allure-report",
  plugins: {
    awesome: {
      options: {
        singleFile: true,
        reportName: "kandy-emulator: SDK, platform and scenarios",
      },
    },
  },
};
