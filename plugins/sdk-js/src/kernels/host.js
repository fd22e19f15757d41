// The kernels run by the host, imported from the contract (componentize-js turns the WIT
// import `rechost:plugin/kernels@0.2.0` into this ES module). The build picks this module for
// `#kernels` (condition "rechost-component" in package.json); node picks ./reference.js.
export {
  chooseUtf8, filterBits, filterFixed64, filterUtf8, floorDivide,
} from "rechost:plugin/kernels@0.2.0";
