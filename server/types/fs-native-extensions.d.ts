// The one call we use of fs-native-extensions (it ships no types).
declare module 'fs-native-extensions' {
  const fsx: {
    /** An exclusive (or shared) OS lock on an open file; false when another holder has it. */
    tryLock(fd: number, offset?: number, length?: number, options?: { shared?: boolean }): boolean;
  };
  export default fsx;
}
