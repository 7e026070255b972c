"""The model: networkx checks of a design (shapes, architecture, task fit), the compiler to
PyTorch, and the cells and block modules it builds. Only the checks load without torch."""
